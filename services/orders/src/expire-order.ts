import { randomUUID } from 'node:crypto';
import { causedBy, createEnvelope, type EventEnvelope, type Logger } from '@gittix/common';
import type { Transaction } from 'kysely';
import { cancelOpenOrder, cancelOpenOrders } from './cancel-order.js';
import type { OrdersDatabase } from './db/schema.js';

/**
 * The hold ran out: an order still waiting for payment is cancelled (which
 * frees its ticket). A paid or already cancelled order stays as it is. Returns
 * whether it cancelled the order.
 */
export async function expireOrder(
  trx: Transaction<OrdersDatabase>,
  orderId: string,
  logger: Logger,
): Promise<boolean> {
  const cancelled = await cancelOpenOrder(trx, orderId, 'expired');
  if (!cancelled) logger.debug({ orderId }, 'expired order was no longer open; nothing to do');
  return cancelled;
}

/**
 * expireOrder for a burst of expiration.complete events in one transaction (every
 * order due at one instant): each order.cancelled names its own expiration.complete
 * as its cause, as it would handled alone. Returns how many it cancelled.
 */
export async function expireOrders(
  trx: Transaction<OrdersDatabase>,
  expirations: EventEnvelope<'expiration.complete'>[],
  logger: Logger,
): Promise<number> {
  // The contract makes ids lower case, as Postgres returns them (a forced expiry may
  // name one in upper case): the keys match the cancelled rows' ids.
  const causeOf = new Map(expirations.map((event) => [event.data.orderId, event]));
  const cancelled = await cancelOpenOrders(trx, [...causeOf.keys()], 'expired', (data) =>
    causedBy(causeOf.get(data.id)!, () => createEnvelope('order.cancelled', data, randomUUID())),
  );
  if (cancelled.length < causeOf.size) {
    logger.debug(
      { expired: causeOf.size, cancelled: cancelled.length },
      'some expired orders were no longer open; nothing to do for them',
    );
  }
  return cancelled.length;
}
