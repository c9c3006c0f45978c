import {
  BadRequestError,
  type cancelReasons,
  type EventEnvelope,
  type EventInput,
  enqueueEnvelopes,
  enqueueEvent,
  NotFoundError,
} from '@gittix/common';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';

/** Why an order was cancelled, said in its order.cancelled (notifications emails the buyer of an expired hold). */
export type CancelReason = (typeof cancelReasons)[number];

/**
 * Cancels the order if it is still open (created or awaiting:payment) and
 * records order.cancelled in the same transaction. The status condition sits in
 * the UPDATE itself, so of two racing transitions (a payment completing it,
 * expiry cancelling it) exactly one matches the row. Returns whether it changed.
 */
export async function cancelOpenOrder(
  trx: Transaction<OrdersDatabase>,
  orderId: string,
  reason: CancelReason,
): Promise<boolean> {
  const cancelled = await trx
    .updateTable('orders')
    .set({ status: 'cancelled', version: sql`version + 1` })
    .where('id', '=', orderId)
    .where('status', 'in', ['created', 'awaiting:payment'])
    .returning(['id', 'version', 'ticket_id', 'user_id'])
    .executeTakeFirst();
  if (!cancelled) return false;
  await enqueueEvent(trx, 'order.cancelled', {
    id: cancelled.id,
    version: cancelled.version,
    ticket: { id: cancelled.ticket_id },
    userId: cancelled.user_id,
    reason,
  });
  return true;
}

/**
 * cancelOpenOrder for many orders in two statements: those still open are
 * cancelled (rows locked in id order, so two batches cannot deadlock) and each
 * one's order.cancelled is recorded, made by `envelopeOf` (which sets its cause).
 * Returns the ids cancelled.
 */
export async function cancelOpenOrders(
  trx: Transaction<OrdersDatabase>,
  orderIds: string[],
  reason: CancelReason,
  envelopeOf: (cancelled: EventInput<'order.cancelled'>) => EventEnvelope,
): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const cancelled = await trx
    .updateTable('orders')
    .set({ status: 'cancelled', version: sql`version + 1` })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('orders')
        .select('id')
        .where('id', '=', sql<string>`ANY(${orderIds}::uuid[])`)
        .where('status', 'in', ['created', 'awaiting:payment'])
        .orderBy('id')
        .forUpdate(),
    )
    .where('status', 'in', ['created', 'awaiting:payment'])
    .returning(['id', 'version', 'ticket_id', 'user_id'])
    .execute();
  await enqueueEnvelopes(
    trx,
    cancelled.map((order) =>
      envelopeOf({
        id: order.id,
        version: order.version,
        ticket: { id: order.ticket_id },
        userId: order.user_id,
        reason,
      }),
    ),
  );
  return cancelled.map((order) => order.id);
}

/** A buyer cancels their order: idempotent, refused once it is paid. Returns whether it cancelled it now. */
export async function cancelOrder(
  db: Kysely<OrdersDatabase>,
  { userId, orderId }: { userId: string; orderId: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const order = await trx
      .selectFrom('orders')
      .select('status')
      .where('id', '=', orderId)
      .where('user_id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
    if (!order) throw new NotFoundError('Order not found');
    if (order.status === 'complete') throw new BadRequestError('Cannot cancel a completed order');
    return cancelOpenOrder(trx, orderId, 'cancelled');
  });
}
