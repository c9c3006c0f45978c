import type { EventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { refuseOrder } from '../refuse-order.js';

/** ticket.refused → the order tickets would not reserve for is cancelled (reason `refused`). */
export const onTicketRefused: EventHandler<OrdersDatabase, 'ticket.refused'> = (
  trx,
  event,
  { logger },
) => refuseOrder(trx, event.data, logger);
