import type { Logger } from '@gittix/common';
import type { Transaction } from 'kysely';
import { cancelOpenOrder } from './cancel-order.js';
import type { OrdersDatabase } from './db/schema.js';

/**
 * The tickets service refused to reserve the ticket (withdrawn, sold or its event
 * started before the order reached it): the order is cancelled, reason `refused`.
 * One already paid stays complete: the conditional UPDATE lets one of the two win.
 * Returns whether it cancelled the order.
 */
export async function refuseOrder(
  trx: Transaction<OrdersDatabase>,
  refusal: { orderId: string; reason: string },
  logger: Logger,
): Promise<boolean> {
  const cancelled = await cancelOpenOrder(trx, refusal.orderId, 'refused');
  logger.info({ ...refusal, cancelled }, 'tickets refused the order');
  return cancelled;
}
