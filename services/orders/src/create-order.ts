import {
  BadRequestError,
  enqueueEvent,
  fromCents,
  isUniqueViolation,
  NotFoundError,
  TooManyRequestsError,
} from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import { TICKET_RESERVED_INDEX } from './db/migrations.js';
import type { OrdersDatabase } from './db/schema.js';
import { lockBuyer, openOrdersBelow, TOO_MANY_OPEN_ORDERS } from './open-orders-limit.js';
import { type Order, toOrder } from './orders.js';

const ALREADY_RESERVED = 'Ticket is already reserved';
/** The statuses the partial unique index TICKET_RESERVED_INDEX covers: one per ticket. */
const RESERVING_STATUSES = ['created', 'awaiting:payment', 'complete'] as const;

export interface CreateOrderDeps {
  db: Kysely<OrdersDatabase>;
  /** How long the order holds the ticket. */
  expirationSeconds: number;
  /** Unpaid orders a buyer may hold at once (MAX_OPEN_ORDERS_PER_USER). */
  maxOpenOrders: number;
}

/**
 * Reserves a ticket for a buyer: the order row and its order.created event
 * commit together. Which of several racing buyers wins is decided by the
 * partial unique index, never by reading first.
 *
 * Five round trips, winners and losers alike up to the INSERT: BEGIN; the ticket
 * read with the buyer's lock (open-orders-limit.ts); the INSERT, conditional on
 * the limit; the outbox row with its NOTIFY; COMMIT.
 */
export async function createOrder(
  { db, expirationSeconds, maxOpenOrders }: CreateOrderDeps,
  { userId, ticketId }: { userId: string; ticketId: string },
): Promise<Order> {
  try {
    return await db.transaction().execute(async (trx) => {
      const ticket = await trx
        .selectFrom('tickets')
        .selectAll('tickets')
        .select(lockBuyer(userId).as('buyer_locked'))
        // An order someone else already committed: refused here, without the INSERT
        // and its unique violation (most of a sale's attempts). Racing orders that
        // both see none are still decided by the unique index.
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom('orders')
                .select('orders.id')
                .where('orders.ticket_id', '=', ticketId)
                .where('orders.status', 'in', RESERVING_STATUSES),
            )
            .as('reserved'),
        )
        .where('tickets.id', '=', ticketId)
        .executeTakeFirst();
      if (!ticket) throw new NotFoundError('Ticket not found');
      if (ticket.user_id === userId) throw new BadRequestError('You cannot buy your own ticket');
      // From the replica: a withdraw or sale it has not heard of yet is caught by
      // the tickets service, which refuses the reservation (ticket.refused).
      if (ticket.status === 'withdrawn' || ticket.status === 'sold') {
        throw new BadRequestError('Ticket is not for sale');
      }
      if (ticket.event_starts_at && ticket.event_starts_at.getTime() <= Date.now()) {
        throw new BadRequestError('The event has started');
      }
      if (ticket.reserved) throw new BadRequestError(ALREADY_RESERVED);

      const row = await trx
        .insertInto('orders')
        .columns([
          'user_id',
          'ticket_id',
          'ticket_title',
          'ticket_price_cents',
          'status',
          'expires_at',
        ])
        .expression(
          trx
            .selectNoFrom([
              sql.val(userId).as('user_id'),
              sql.val(ticket.id).as('ticket_id'),
              sql.val(ticket.title).as('ticket_title'),
              sql.val(ticket.price_cents).as('ticket_price_cents'),
              sql.lit('created').as('status'),
              sql.val(new Date(Date.now() + expirationSeconds * 1000)).as('expires_at'),
            ])
            .where(openOrdersBelow(userId, maxOpenOrders)),
        )
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new TooManyRequestsError(TOO_MANY_OPEN_ORDERS);
      const order = toOrder(row);
      await enqueueEvent(trx, 'order.created', {
        id: order.id,
        version: order.version,
        status: order.status,
        userId: order.userId,
        expiresAt: order.expiresAt,
        ticket: {
          id: ticket.id,
          price: fromCents(ticket.price_cents),
          version: ticket.version,
          userId: ticket.user_id,
          title: ticket.title,
          eventId: ticket.event_id,
          eventStartsAt: ticket.event_starts_at?.toISOString() ?? null,
        },
      });
      return order;
    });
  } catch (error) {
    if (isUniqueViolation(error, TICKET_RESERVED_INDEX)) {
      throw new BadRequestError(ALREADY_RESERVED);
    }
    throw error;
  }
}
