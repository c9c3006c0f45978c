import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EventBus,
  inboxPrefixOf,
  type Logger,
  type NatsUser,
  natsUser,
  splitUrlList,
} from '@gittix/common';
import { connect } from '@nats-io/transport-node';
import type { InvariantResult } from './invariants.js';

export interface ForgeryTarget {
  natsUrl: string;
  stream: string;
  subjectPrefix: string;
  users: NatsUser[];
  /** An order of the run, so the forged payment names something real. */
  orderId: string;
}

/**
 * The attack of docs/security.md: a forged `payment.created` (so an unpaid order
 * completes), sent by a client without a password and by the tickets service's
 * user, which may publish only tickets' subjects. Both must be refused by the
 * server, and `inStream` (read afterwards by the caller) must not hold the id.
 */
export async function forgePaymentCreated(
  target: ForgeryTarget,
  logger: Logger,
): Promise<{ eventId: string; outcomes: string[]; refused: boolean }> {
  const forged = createEnvelope(
    'payment.created',
    { id: randomUUID(), orderId: target.orderId, providerId: 'forged' },
    randomUUID(),
  );
  const outcomes: string[] = [];
  let refused = true;
  try {
    const nc = await connect({
      servers: splitUrlList(target.natsUrl),
      reconnect: false,
      timeout: 3_000,
    });
    await nc.close();
    refused = false;
    outcomes.push('a client without a password connected');
  } catch (error) {
    outcomes.push(`no password: ${(error as Error).message}`);
  }
  const tickets = natsUser(target.users, 'tickets');
  const bus = await EventBus.connect({
    url: target.natsUrl,
    stream: target.stream,
    subjectPrefix: target.subjectPrefix,
    name: 'chaos-forger',
    logger,
    user: tickets.user,
    password: tickets.password,
    // Everything tickets itself may do: only the subject is not its own.
    inboxPrefix: inboxPrefixOf('tickets'),
  });
  try {
    await bus.publish(forged, 3_000);
    refused = false;
    outcomes.push('the tickets user published payment.created');
  } catch (error) {
    outcomes.push(`as tickets: ${(error as Error).message}`);
  } finally {
    await bus.close();
  }
  return { eventId: forged.id, outcomes, refused };
}

/** The invariant: both attempts refused and the forged id nowhere in the stream. */
export function forgeryRefused(
  attempt: { eventId: string; outcomes: string[]; refused: boolean },
  streamIds: Set<string>,
): InvariantResult {
  const violations = [
    ...(attempt.refused ? [] : attempt.outcomes),
    ...(streamIds.has(attempt.eventId) ? [`forged event ${attempt.eventId} is in the stream`] : []),
  ];
  return {
    name: 'A forged payment.created from an unprivileged NATS user is refused by the server',
    pass: violations.length === 0,
    summary: attempt.outcomes.join('; '),
    violations,
    violationCount: violations.length,
  };
}
