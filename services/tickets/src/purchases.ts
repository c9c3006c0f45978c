import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { TicketsDatabase } from './db/schema.js';
import { selectTickets, ticketSchema, toTicket } from './tickets.js';

/** A ticket the caller bought: the Ticket, and whether its payment went back to them. */
export const purchasedTicketSchema = ticketSchema.extend({
  refundedAt: z.iso.datetime().nullable().meta({
    description:
      'When the payment was refunded in full (null if it was not): the ticket stays sold, and its file is no longer the buyer’s to download',
  }),
});
export type PurchasedTicket = z.output<typeof purchasedTicketSchema>;

/**
 * The tickets sold to `buyerId` (the buyer recorded for the very order the ticket is
 * sold to), newest purchase first, each saying whether it was refunded.
 */
export async function listPurchasedTickets(
  db: Kysely<TicketsDatabase>,
  buyerId: string,
): Promise<PurchasedTicket[]> {
  const rows = await selectTickets(db)
    .innerJoin('ticket_purchases as p', (join) =>
      join.onRef('p.ticket_id', '=', 't.id').onRef('p.order_id', '=', 't.order_id'),
    )
    .leftJoin('purchase_refunds as r', 'r.order_id', 'p.order_id')
    .select('r.refunded_at')
    .where('p.buyer_id', '=', buyerId)
    .where('t.status', '=', 'sold')
    .orderBy('p.purchased_at', 'desc')
    .orderBy('t.id', 'desc')
    .execute();
  return rows.map((row) => ({
    ...toTicket(row),
    refundedAt: row.refunded_at?.toISOString() ?? null,
  }));
}

/**
 * The buyer of `orderId` got their money back: the purchase is refunded. The ticket
 * stays sold to that order and is never put on sale again (the buyer may hold its
 * barcode already: selling it again would sell it twice); only the buyer's download
 * ends. Recorded by order, so a refund that overtakes its order.completed still counts
 * once the purchase is recorded; a second refund of one order changes nothing.
 */
export async function recordPurchaseRefund(
  trx: Transaction<TicketsDatabase>,
  refund: { orderId: string; paymentId: string },
): Promise<void> {
  await trx
    .insertInto('purchase_refunds')
    .values({ order_id: refund.orderId, payment_id: refund.paymentId })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
}
