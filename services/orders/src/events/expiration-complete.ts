import type { BatchEventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { expireOrders } from '../expire-order.js';
import { countAfterCommit } from '../metrics.js';

/**
 * expiration.complete → an order's hold ran out: cancel it unless it was paid.
 * Handled in batches (subscribeBatch): orders tend to fall due together.
 */
export const onExpirationComplete: BatchEventHandler<
  OrdersDatabase,
  'expiration.complete'
> = async (trx, events, context) => {
  const expired = await expireOrders(trx, events, context.logger);
  countAfterCommit(context, 'expired', expired);
};
