import { BadRequestError } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { changeTicketState } from './ticket-holder.js';
import { lockSellersTicket } from './update-ticket.js';

/**
 * The seller takes an available listing down (status `withdrawn`, ticket.updated);
 * withdrawing it again changes nothing. The row lock orders it against a
 * reservation: whichever reaches the ticket first wins, and an order that
 * arrives after the withdraw is refused (reserve-ticket.ts).
 */
export async function withdrawTicket(
  db: Kysely<TicketsDatabase>,
  sellerId: string,
  ticketId: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const ticket = await lockSellersTicket(trx, sellerId, ticketId, 'withdraw');
    if (ticket.status === 'withdrawn') return;
    if (ticket.status !== 'available') {
      throw new BadRequestError(`Cannot withdraw a ${ticket.status} ticket`);
    }
    await changeTicketState(trx, ticket, { orderId: null, status: 'withdrawn' });
  });
}
