import type { Logger } from '@gittix/common';
import type { Transaction } from 'kysely';
import { cancelOpenOrder } from './cancel-order.js';
import type { OrdersDatabase } from './db/schema.js';

/**
 * The hold ran out: an order still waiting for payment is cancelled (which
 * frees its ticket). A paid or already cancelled order stays as it is.
 */
export async function expireOrder(
  trx: Transaction<OrdersDatabase>,
  orderId: string,
  logger: Logger,
): Promise<void> {
  const cancelled = await cancelOpenOrder(trx, orderId);
  if (!cancelled) logger.debug({ orderId }, 'expired order was no longer open; nothing to do');
}
