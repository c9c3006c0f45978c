import type { BatchEventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { expireOrders } from '../expire-order.js';

/**
 * expiration.complete → an order's hold ran out: cancel it unless it was paid.
 * Handled in batches (subscribeBatch): orders tend to fall due together.
 */
export const onExpirationComplete: BatchEventHandler<OrdersDatabase, 'expiration.complete'> = (
  trx,
  events,
  { logger },
) => expireOrders(trx, events, logger);
