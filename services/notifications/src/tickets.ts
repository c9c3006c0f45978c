import type { Kysely } from 'kysely';
import type { NotificationsDatabase } from './db/schema.js';

/**
 * A ticket's row, locked for the rest of the transaction (made if it is new). The
 * receipt (payment.captured) and the file's arrival (ticket.file_attached) both
 * take it, so whichever comes second sees the first: the buyer is told about the
 * download once, in the receipt or afterwards, never in neither.
 */
async function lockTicket(trx: Kysely<NotificationsDatabase>, ticketId: string) {
  await trx
    .insertInto('tickets')
    .values({ id: ticketId, order_id: null, buyer_id: null })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  return trx
    .selectFrom('tickets')
    .select(['has_file', 'order_id', 'buyer_id'])
    .where('id', '=', ticketId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/** Records that the ticket was paid for; returns whether its file is already attached. */
export async function recordSale(
  trx: Kysely<NotificationsDatabase>,
  ticketId: string,
  sale: { orderId: string; buyerId: string },
): Promise<{ hasFile: boolean }> {
  const ticket = await lockTicket(trx, ticketId);
  await trx
    .updateTable('tickets')
    .set({ order_id: sale.orderId, buyer_id: sale.buyerId })
    .where('id', '=', ticketId)
    .execute();
  return { hasFile: ticket.has_file };
}

export interface FileNews {
  /** Whether a file was attached before this one (so this one replaces it). */
  hadFile: boolean;
  /** The paid order and its buyer, when the ticket was already paid for. */
  sale: { orderId: string; buyerId: string } | null;
}

/** Records that the ticket's file is attached; returns what the buyer (if any) should hear. */
export async function recordFile(
  trx: Kysely<NotificationsDatabase>,
  ticketId: string,
): Promise<FileNews> {
  const ticket = await lockTicket(trx, ticketId);
  if (!ticket.has_file) {
    await trx.updateTable('tickets').set({ has_file: true }).where('id', '=', ticketId).execute();
  }
  return {
    hadFile: ticket.has_file,
    sale:
      ticket.order_id && ticket.buyer_id
        ? { orderId: ticket.order_id, buyerId: ticket.buyer_id }
        : null,
  };
}
