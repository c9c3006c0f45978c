import { toCents } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';

export interface TicketState {
  id: string;
  version: number;
  title: string;
  price: number;
  userId: string;
  orderId: string | null;
}

/**
 * Applies a ticket's state to the replica only if it is newer than the one held,
 * so duplicates and events arriving out of order (an update before the create,
 * an old version after a new one) all converge on the newest state.
 */
export async function applyTicket(
  trx: Transaction<OrdersDatabase>,
  ticket: TicketState,
): Promise<boolean> {
  const applied = await trx
    .insertInto('tickets')
    .values({
      id: ticket.id,
      title: ticket.title,
      price_cents: toCents(ticket.price),
      user_id: ticket.userId,
      version: ticket.version,
      order_id: ticket.orderId,
    })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          price_cents: eb.ref('excluded.price_cents'),
          user_id: eb.ref('excluded.user_id'),
          version: eb.ref('excluded.version'),
          order_id: eb.ref('excluded.order_id'),
        }))
        .where('tickets.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .returning('id')
    .executeTakeFirst();
  return applied !== undefined;
}
