import { enqueueEvent, fromCents, type Logger } from '@gittix/common';
import { sql, type Transaction } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';

/**
 * A payment went through: an open order becomes complete. If expiry cancelled
 * it first, it stays cancelled (payments voids the authorization on order.cancelled);
 * either way the order keeps the payment's id. The conditional UPDATE is what
 * lets only one of completion and expiry win. A completion is announced
 * (order.completed): tickets marks the ticket sold. Returns whether it completed it.
 */
export async function completeOrder(
  trx: Transaction<OrdersDatabase>,
  { orderId, paymentId }: { orderId: string; paymentId: string },
  logger: Logger,
): Promise<boolean> {
  const completed = await trx
    .updateTable('orders')
    .set({ status: 'complete', version: sql`version + 1`, payment_id: paymentId })
    .where('id', '=', orderId)
    .where('status', 'in', ['created', 'awaiting:payment'])
    .returningAll()
    .executeTakeFirst();
  if (completed) {
    const ticket = await trx
      .selectFrom('tickets')
      .select(['user_id', 'event_id', 'event_starts_at'])
      .where('id', '=', completed.ticket_id)
      .executeTakeFirstOrThrow();
    await enqueueEvent(trx, 'order.completed', {
      id: completed.id,
      version: completed.version,
      userId: completed.user_id,
      paymentId,
      ticket: {
        id: completed.ticket_id,
        price: fromCents(completed.ticket_price_cents),
        userId: ticket.user_id,
        title: completed.ticket_title,
        eventId: ticket.event_id,
        eventStartsAt: ticket.event_starts_at?.toISOString() ?? null,
      },
    });
    return true;
  }
  const recorded = await trx
    .updateTable('orders')
    .set({ payment_id: paymentId })
    .where('id', '=', orderId)
    .returning('status')
    .executeTakeFirst();
  if (!recorded) logger.warn({ orderId, paymentId }, 'payment for an unknown order ignored');
  else logger.info({ orderId, paymentId, status: recorded.status }, 'payment for a closed order');
  return false;
}
