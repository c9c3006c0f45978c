import type { EventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { expireOrder } from '../expire-order.js';

/** expiration.complete → an order's hold ran out: cancel it unless it was paid. */
export const onExpirationComplete: EventHandler<OrdersDatabase, 'expiration.complete'> = (
  trx,
  event,
  { logger },
) => expireOrder(trx, event.data.orderId, logger);
