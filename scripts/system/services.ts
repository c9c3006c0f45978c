import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NatsUser, natsUser } from '@gittix/common';
import {
  type DatabaseRole,
  newRolePassword,
  ownerDatabaseUrl,
  ownerRoleOf,
  roleDatabaseUrl,
} from './provision.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServiceSpec {
  name: string;
  port: number;
  /** The path prefix the gateway (and the Ingress) sends to it. */
  route: string | null;
  /** More prefixes it serves (tickets: the events catalogue, `/api/events`). */
  alsoRoutes?: string[];
  database: string | null;
  nats: boolean;
  redis: boolean;
  /**
   * Deployed as two processes (infra/compose.yaml, infra/k8s): `<name>` serves requests
   * with CONSUME_EVENTS=false and `<name>-events` consumes its events and gets no
   * requests, so a rush of requests never delays an event (bench/bottlenecks.md §13).
   * `npm start` and the tests run one process that does both; `npm run bench` runs
   * the deployed shape.
   */
  consumersApart?: boolean;
}

/** The process that consumes a `consumersApart` service's events: `<service>-events`. */
export const eventsProcessOf = (service: string): string => `${service}-events`;

/** services.json: the one list of GitTix's processes. */
export const services: ServiceSpec[] = JSON.parse(
  readFileSync(join(repoRoot, 'services.json'), 'utf8'),
).services;

/** Every path prefix a service is routed: its route, then its other ones. */
export function routesOf(spec: ServiceSpec): string[] {
  return spec.route === null ? [] : [spec.route, ...(spec.alsoRoutes ?? [])];
}

export type Ports = Record<string, number>;

export const defaultPorts: Ports = Object.fromEntries(services.map((s) => [s.name, s.port]));

/** Everything that differs between one running GitTix and another on the same machine. */
export interface SystemSettings {
  ports: Ports;
  /** Postgres server URL without a database, e.g. postgres://postgres@127.0.0.1:5432 */
  postgresUrl: string;
  /** Database name per service (default: the service's own name). */
  databaseName: (service: string) => string;
  /**
   * The roles of each database (provisionDatabase made them): the service connects
   * as the runtime role, the migrate step as the owner. Absent: the server URL's user.
   */
  databaseRoles?: Record<string, DatabaseRole>;
  natsUrl: string;
  /** The NATS server's users (one per service, docs/security.md); absent: no authentication. */
  natsUsers?: NatsUser[];
  stream: string;
  subjectPrefix: string;
  redisUrl: string;
  queuePrefix: string;
  jwt: { privateKeyPem: string; publicKeyPem: string };
  /** EMAIL_TOKEN_KEY of auth and notifications (32 bytes, base64); unset: their development key. */
  emailTokenKey?: string;
  orderExpirationSeconds?: number;
  /** Where notifications sends email (a mail catcher); unset: its default, 127.0.0.1:1025. */
  smtpUrl?: string;
  /** The site as a person reaches it, for links in emails; default: the gateway. */
  publicUrl?: string;
  logLevel: string;
  logPretty: boolean;
  extraEnv?: Record<string, string>;
  /**
   * Processes per service (default 1; the web app always runs once): replica 1 is
   * named after the service, the others `<service>-2`, … each with a port of its
   * own, and the gateway spreads requests over a service's replicas.
   */
  replicas?: number;
}

/** How many processes of `service` a system runs (the web app: one). */
export function replicaCount(service: ServiceSpec, s: Pick<SystemSettings, 'replicas'>): number {
  return service.name === 'web' ? 1 : Math.max(1, s.replicas ?? 1);
}

/** The names of a service's processes: `orders`, then `orders-2`, `orders-3`, … */
export function replicaNames(service: ServiceSpec, s: Pick<SystemSettings, 'replicas'>): string[] {
  return Array.from({ length: replicaCount(service, s) }, (_, i) =>
    i === 0 ? service.name : `${service.name}-${i + 1}`,
  );
}

/** The service a process name belongs to: `orders-2` → `orders`. */
export function serviceOfProcess(name: string): string {
  return name.replace(/-\d+$/, '');
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/** The URL of one service's database, e.g. databaseUrlOf(settings, 'orders'). */
export function databaseUrlOf(s: SystemSettings, database: string): string {
  const role = s.databaseRoles?.[database];
  if (role) return roleDatabaseUrl(s.postgresUrl, role);
  return `${s.postgresUrl}/${s.databaseName(database)}`;
}

/**
 * The URL of one database's migrate step: its owner (`<role>_owner`) with roles,
 * else the server URL's user, like the services.
 */
export function migrationUrlOf(s: SystemSettings, database: string): string {
  const role = s.databaseRoles?.[database];
  if (role) return ownerDatabaseUrl(s.postgresUrl, role);
  return `${s.postgresUrl}/${s.databaseName(database)}`;
}

/**
 * Two roles per database of services.json: the runtime role named after the
 * database and its owner `<name>_owner`, each with a fresh password.
 */
export function databaseRolesFor(databaseName: (service: string) => string) {
  const roles: Record<string, DatabaseRole> = {};
  for (const { database } of services) {
    if (!database) continue;
    const name = databaseName(database);
    roles[database] = {
      database: name,
      role: name,
      password: newRolePassword(),
      owner: ownerRoleOf(name),
      ownerPassword: newRolePassword(),
    };
  }
  return roles;
}

/** The environment one service gets, per the README's configuration table. */
export function envFor(
  service: ServiceSpec,
  s: SystemSettings,
  /** Which of the service's processes (replicaNames); default the first. */
  processName = service.name,
): Record<string, string> {
  /** Every replica of a service, separated by commas (the gateway's upstream lists). */
  const urlsOf = (name: string) => {
    const spec = services.find((candidate) => candidate.name === name);
    const names = spec ? replicaNames(spec, s) : [name];
    return names.map((n) => url(s.ports[n]!)).join(',');
  };
  const env: Record<string, string> = {
    PORT: String(s.ports[processName]),
    HOST: '127.0.0.1',
    LOG_LEVEL: s.logLevel,
    LOG_PRETTY: String(s.logPretty),
    NEXT_TELEMETRY_DISABLED: '1',
  };
  if (service.database) {
    env.DATABASE_URL = databaseUrlOf(s, service.database);
  }
  if (service.nats) {
    Object.assign(env, {
      NATS_URL: s.natsUrl,
      NATS_STREAM: s.stream,
      NATS_SUBJECT_PREFIX: s.subjectPrefix,
    });
    if (s.natsUsers) {
      const { user, password } = natsUser(s.natsUsers, service.name);
      Object.assign(env, { NATS_USER: user, NATS_PASSWORD: password });
    }
  }
  if (service.redis) Object.assign(env, { REDIS_URL: s.redisUrl, QUEUE_PREFIX: s.queuePrefix });
  if (service.name === 'auth') env.JWT_PRIVATE_KEY = s.jwt.privateKeyPem;
  else env.JWT_PUBLIC_KEY = s.jwt.publicKeyPem;
  if (s.emailTokenKey && (service.name === 'auth' || service.name === 'notifications')) {
    env.EMAIL_TOKEN_KEY = s.emailTokenKey;
  }
  if (service.name === 'orders' && s.orderExpirationSeconds !== undefined) {
    env.ORDER_EXPIRATION_SECONDS = String(s.orderExpirationSeconds);
  }
  // Links in emails, and where Stripe Connect onboarding sends a seller back.
  if (service.name === 'notifications' || service.name === 'payments') {
    env.PUBLIC_URL = s.publicUrl ?? url(s.ports.gateway!);
  }
  if (service.name === 'notifications' && s.smtpUrl) env.SMTP_URL = s.smtpUrl;
  if (service.name === 'gateway') {
    Object.assign(env, {
      AUTH_URL: urlsOf('auth'),
      TICKETS_URL: urlsOf('tickets'),
      ORDERS_URL: urlsOf('orders'),
      PAYMENTS_URL: urlsOf('payments'),
      WEB_URL: url(s.ports.web!),
    });
  }
  if (service.name === 'web') env.GATEWAY_URL = url(s.ports.gateway!);
  return { ...env, ...s.extraEnv };
}

/** Where a service answers "ready": the gateway and web only have liveness. */
export function readinessUrl(
  service: ServiceSpec,
  ports: Ports,
  processName = service.name,
): string {
  const base = url(ports[processName]!);
  return service.name === 'gateway' || service.name === 'web'
    ? `${base}/healthz`
    : `${base}/readyz`;
}
