import { randomUUID } from 'node:crypto';
import {
  BadRequestError,
  createEnvelope,
  fromCents,
  NOTIFY_WHEN_QUEUED_SQL,
  NotReplicatedYetError,
  outboxRowValues,
  preparedStatement,
  queuedOutboxRowSql,
  runTransaction,
  TooManyRequestsError,
} from '@gittix/common';
import type { Kysely } from 'kysely';
import type { OrdersDatabase, TicketsTable } from './db/schema.js';
import {
  BUYER_LOCK_KEY,
  OPEN_ORDERS_BELOW_SQL,
  TOO_MANY_OPEN_ORDERS,
} from './open-orders-limit.js';
import type { Order } from './orders.js';

const ALREADY_RESERVED = 'Ticket is already reserved';
/** The statuses the partial unique index TICKET_RESERVED_INDEX covers: one per ticket. */
const RESERVING_STATUSES = `('created', 'awaiting:payment', 'complete')`;

/**
 * The ticket from the replica, the buyer's lock (open-orders-limit.ts) and whether
 * an order someone else already committed holds the ticket: refused then without
 * the INSERT and its unique violation. Racing orders that both see none are still
 * decided by the unique index. $1 ticket id, $2 buyer id.
 */
const READ_TICKET = preparedStatement(
  'orders.create.read_ticket',
  `
    SELECT id, title, price_cents, user_id, version, status, event_id, event_starts_at,
      pg_advisory_xact_lock(${BUYER_LOCK_KEY}) IS NULL AS buyer_locked,
      EXISTS (
        SELECT 1 FROM orders WHERE ticket_id = $1 AND status IN ${RESERVING_STATUSES}
      ) AS reserved
    FROM tickets WHERE id = $1`,
);

type TicketRow = Pick<
  TicketsTable,
  'id' | 'title' | 'price_cents' | 'user_id' | 'version' | 'event_id' | 'event_starts_at'
> & { status: string; reserved: boolean };

/**
 * The order, only while the buyer is under the open-orders limit, and its
 * order.created row in the outbox with the relay's NOTIFY, in one statement. A
 * buyer who raced the winner of the ticket waits here for the winner's commit
 * (the unique index) and then inserts nothing, without an error to build, send
 * and roll back: `placed` 0 and `allowed` true is 400, `allowed` false (the limit,
 * counted in the INSERT's snapshot) is 429. $1 order id, $2 buyer, $3 ticket,
 * $4 title, $5 price in cents, $6 expires at, $7 the limit; $8–$11 the outbox row.
 */
const INSERT_ORDER = preparedStatement(
  'orders.create.insert',
  `
    WITH placed AS (
      INSERT INTO orders
        (id, user_id, ticket_id, ticket_title, ticket_price_cents, status, expires_at, version)
      SELECT $1::uuid, $2::uuid, $3::uuid, $4::text, $5::integer, 'created', $6::timestamptz, 0
      WHERE ${OPEN_ORDERS_BELOW_SQL}
      ON CONFLICT (ticket_id) WHERE status IN ${RESERVING_STATUSES} DO NOTHING
      RETURNING id
    ), ${queuedOutboxRowSql('placed', 8)}
    SELECT
      (SELECT count(*) FROM queued)::integer AS placed,
      ${OPEN_ORDERS_BELOW_SQL} AS allowed,
      ${NOTIFY_WHEN_QUEUED_SQL}`,
);

export interface CreateOrderDeps {
  /** A Kysely made by createDb: its pool runs the transaction. */
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
 * Four round trips for a winner, each statement prepared once per connection:
 * BEGIN; the ticket read with the buyer's lock; the INSERT (conditional on the
 * limit) with its outbox row and NOTIFY; COMMIT. A loser to a committed order
 * stops after the read (BEGIN, read, ROLLBACK), a loser racing the winner after
 * the INSERT that inserts nothing; neither gets an error from Postgres.
 */
export async function createOrder(
  { db, expirationSeconds, maxOpenOrders }: CreateOrderDeps,
  { userId, ticketId }: { userId: string; ticketId: string },
): Promise<Order> {
  return runTransaction(db, async (client) => {
    const { rows } = await client.query<TicketRow>(READ_TICKET, [ticketId, userId]);
    const ticket = rows[0];
    if (!ticket) throw new NotReplicatedYetError('Ticket not found');
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

    // Every value of the row is known here, so the event is written by the same
    // statement as the order (and the order needs no RETURNING to be answered).
    const order: Order = {
      id: randomUUID(),
      userId,
      status: 'created',
      expiresAt: new Date(Date.now() + expirationSeconds * 1000).toISOString(),
      version: 0,
      ticket: { id: ticket.id, title: ticket.title, price: fromCents(ticket.price_cents) },
    };
    const envelope = createEnvelope(
      'order.created',
      {
        id: order.id,
        version: order.version,
        status: order.status,
        userId,
        expiresAt: order.expiresAt,
        ticket: {
          id: ticket.id,
          price: order.ticket.price,
          version: ticket.version,
          userId: ticket.user_id,
          title: ticket.title,
          eventId: ticket.event_id,
          eventStartsAt: ticket.event_starts_at?.toISOString() ?? null,
        },
      },
      randomUUID(),
    );
    const { rows: inserted } = await client.query<{ placed: number; allowed: boolean }>(
      INSERT_ORDER,
      [
        order.id,
        userId,
        ticket.id,
        ticket.title,
        ticket.price_cents,
        order.expiresAt,
        maxOpenOrders,
        ...outboxRowValues(envelope),
      ],
    );
    const { placed, allowed } = inserted[0]!;
    if (placed === 1) return order;
    if (!allowed) throw new TooManyRequestsError(TOO_MANY_OPEN_ORDERS);
    throw new BadRequestError(ALREADY_RESERVED);
  });
}
