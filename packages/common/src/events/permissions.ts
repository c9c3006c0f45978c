import { randomBytes } from 'node:crypto';
import { inboxPrefixOf } from './bus.js';
import { durableName } from './consumer.js';
import type { Subject } from './contracts.js';

/**
 * Who may publish and consume which subject on NATS, as docs/events.md's table
 * says: the server refuses everything else (a forged `payment.created` from the
 * tickets service, or from anything without a password, never reaches the stream).
 * `tools/docs/test/nats-roles.test.ts` holds this to that table and to every service's subscriptions.
 */
export const natsRoles = {
  auth: {
    publishes: [
      'user.created',
      'user.updated',
      'user.verification_requested',
      'user.password_reset_requested',
      'session.revoked',
    ],
    consumes: [],
  },
  tickets: {
    publishes: ['ticket.created', 'ticket.updated', 'ticket.refused', 'ticket.file_attached'],
    consumes: [
      'order.created',
      'order.cancelled',
      'order.completed',
      'payment.refunded',
      'session.revoked',
    ],
  },
  orders: {
    publishes: ['order.created', 'order.cancelled', 'order.completed'],
    consumes: [
      'ticket.created',
      'ticket.updated',
      'ticket.refused',
      'expiration.complete',
      'payment.created',
      'session.revoked',
    ],
  },
  expiration: {
    publishes: ['expiration.complete'],
    consumes: ['order.created', 'order.cancelled'],
  },
  payments: {
    publishes: [
      'payment.created',
      'payment.captured',
      'payment.voided',
      'payment.refunded',
      'payment.partly_refunded',
      'payout.paid',
    ],
    consumes: [
      'order.created',
      'order.cancelled',
      'order.completed',
      'user.created',
      'user.updated',
      'session.revoked',
    ],
  },
  notifications: {
    publishes: [],
    consumes: [
      'user.created',
      'user.updated',
      'user.verification_requested',
      'user.password_reset_requested',
      'order.created',
      'order.cancelled',
      'order.completed',
      'payment.captured',
      'payment.refunded',
      'payment.partly_refunded',
      'payout.paid',
      'ticket.file_attached',
    ],
  },
} as const satisfies Record<string, { publishes: Subject[]; consumes: Subject[] }>;

export type NatsRole = keyof typeof natsRoles;
export const natsRoleNames = Object.keys(natsRoles) as NatsRole[];

/**
 * Whether a service verifies sessions, so it follows the `<stream>_SESSIONS` copy of
 * `session.revoked` (packages/common/src/http/revoked-sessions.ts): every service
 * docs/events.md lists as its consumer, and auth, which publishes it.
 */
export function verifiesSessions(role: NatsRole): boolean {
  const { publishes, consumes } = natsRoles[role] as {
    publishes: readonly Subject[];
    consumes: readonly Subject[];
  };
  return publishes.includes('session.revoked') || consumes.includes('session.revoked');
}

/** The user with every permission: the events CLI, tests' own connections, operators. */
export const NATS_ADMIN_USER = 'admin';

export function isNatsRole(name: string): name is NatsRole {
  return Object.hasOwn(natsRoles, name);
}

/** The names a system's events live under (a test run has its own). */
export interface NatsNames {
  stream: string;
  subjectPrefix: string;
}

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/**
 * What one service may do: publish its own subjects (and dead letters of its own
 * consumers), make sure the two streams exist, create and pull its own durable
 * consumers and ack their messages, and hear replies on its own inbox. Nothing
 * else: no other subject, no stream deletion or purge, no other consumer.
 */
export function natsPermissionsOf(role: NatsRole, names: NatsNames): NatsPermissions {
  const { stream, subjectPrefix } = names;
  const { publishes, consumes } = natsRoles[role] as {
    publishes: readonly Subject[];
    consumes: readonly Subject[];
  };
  const api = '$JS.API';
  const sessions = `${stream}_SESSIONS`;
  const streams = [stream, `${stream}_DEADLETTER`, sessions];
  const publish = [
    `${api}.INFO`,
    ...streams.flatMap((name) => [
      `${api}.STREAM.INFO.${name}`,
      `${api}.STREAM.CREATE.${name}`,
      `${api}.STREAM.UPDATE.${name}`,
    ]),
    ...publishes.map((subject) => `${subjectPrefix}.${subject}`),
  ];
  for (const subject of consumes) {
    const durable = durableName(role, subject);
    publish.push(
      `${api}.CONSUMER.CREATE.${stream}.${durable}`,
      `${api}.CONSUMER.CREATE.${stream}.${durable}.>`,
      `${api}.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
      `${api}.CONSUMER.INFO.${stream}.${durable}`,
      `${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
      `${subjectPrefix}.deadletter.${durable}`,
    );
  }
  if (verifiesSessions(role)) {
    // RevokedSessions reads the sessions stream through an ordered consumer: an
    // ephemeral one with a generated name (<nuid>_<n>), made again after a gap.
    // That stream holds only session.revoked, which every verifier may read.
    publish.push(
      `${api}.CONSUMER.CREATE.${sessions}.>`,
      `${api}.CONSUMER.INFO.${sessions}.>`,
      `${api}.CONSUMER.DELETE.${sessions}.>`,
      `${api}.CONSUMER.MSG.NEXT.${sessions}.>`,
    );
  }
  return { publish, subscribe: [`${inboxPrefixOf(role)}.>`] };
}

/** A NATS user: its name, its password (or a `$VARIABLE` the server reads from its environment). */
export interface NatsUser {
  user: string;
  password: string;
  /** Absent: every permission (the admin). */
  permissions?: NatsPermissions;
}

/** The users of a system: one per service that talks to NATS, and the admin. */
export function natsUsers(names: NatsNames, passwordOf: (user: string) => string): NatsUser[] {
  return [
    { user: NATS_ADMIN_USER, password: passwordOf(NATS_ADMIN_USER) },
    ...natsRoleNames.map((role) => ({
      user: role,
      password: passwordOf(role),
      permissions: natsPermissionsOf(role, names),
    })),
  ];
}

const quoted = (value: string) => JSON.stringify(value);
const list = (values: string[], indent: string) =>
  `[\n${values.map((value) => `${indent}  ${quoted(value)}`).join('\n')}\n${indent}]`;

/**
 * The `authorization` block of a nats-server configuration. A password that
 * starts with `$` is left bare, so the server reads it from its environment
 * (Compose and Kubernetes keep the passwords in Secrets, not in the file).
 */
export function natsAuthorizationConfig(users: NatsUser[]): string {
  const lines = ['authorization {', '  users: ['];
  for (const { user, password, permissions } of users) {
    const secret = /^\$[A-Z0-9_]+$/.test(password) ? password : quoted(password);
    lines.push('    {', `      user: ${quoted(user)}`, `      password: ${secret}`);
    if (permissions) {
      lines.push(
        '      permissions: {',
        `        publish: { allow: ${list(permissions.publish, '          ')} }`,
        `        subscribe: { allow: ${list(permissions.subscribe, '          ')} }`,
        '      }',
      );
    }
    lines.push('    }');
  }
  lines.push('  ]', '}');
  return `${lines.join('\n')}\n`;
}

/** The environment variable holding a user's password in Compose and Kubernetes. */
export function natsPasswordVariable(user: string): string {
  return `NATS_PASSWORD_${user.toUpperCase()}`;
}

/** The users of a system, each with a fresh random password (a server the launcher or a test starts). */
export function natsUsersWithRandomPasswords(names: NatsNames): NatsUser[] {
  return natsUsers(names, () => randomBytes(18).toString('base64url'));
}

/** One user's credentials from a list, by name (throws when there is none). */
export function natsUser(users: NatsUser[], name: string): NatsUser {
  const found = users.find((candidate) => candidate.user === name);
  if (!found) throw new Error(`No NATS user ${name}`);
  return found;
}
