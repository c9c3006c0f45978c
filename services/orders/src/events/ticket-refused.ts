import type { EventHandler } from '@gittix/common';
import type { OrdersDatabase } from '../db/schema.js';
import { countAfterCommit } from '../metrics.js';
import { refuseOrder } from '../refuse-order.js';

/** ticket.refused → the order tickets would not reserve for is cancelled (reason `refused`). */
export const onTicketRefused: EventHandler<OrdersDatabase, 'ticket.refused'> = async (
  trx,
  event,
  context,
) => {
  if (await refuseOrder(trx, event.data, context.logger)) countAfterCommit(context, 'refused');
};
