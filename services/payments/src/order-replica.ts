import { type EventData, newestById, toCents } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';

/**
 * Applies order.created. A newer version wins status and version; the order's
 * immutable facts (buyer, price, expiry) also fill a row that an overtaking
 * order.cancelled created without them, so that row stays cancelled but knows
 * whose order it was.
 */
export async function applyOrderCreated(
  db: Kysely<PaymentsDatabase>,
  order: EventData<'order.created'>,
): Promise<void> {
  const newer = sql<boolean>`orders.version < excluded.version`;
  await db
    .insertInto('orders')
    .values({
      id: order.id,
      user_id: order.userId,
      price_cents: toCents(order.ticket.price),
      status: order.status,
      expires_at: new Date(order.expiresAt),
      version: order.version,
      seller_id: order.ticket.userId ?? null,
      event_starts_at: order.ticket.eventStartsAt ? new Date(order.ticket.eventStartsAt) : null,
      ticket_id: order.ticket.id,
    })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet({
          seller_id: sql`COALESCE(orders.seller_id, excluded.seller_id)`,
          ticket_id: sql`COALESCE(orders.ticket_id, excluded.ticket_id)`,
          event_starts_at: sql`COALESCE(orders.event_starts_at, excluded.event_starts_at)`,
          status: sql`CASE WHEN ${newer} THEN excluded.status ELSE orders.status END`,
          version: sql`GREATEST(orders.version, excluded.version)`,
          user_id: sql`COALESCE(orders.user_id, excluded.user_id)`,
          price_cents: sql`COALESCE(orders.price_cents, excluded.price_cents)`,
          expires_at: sql`COALESCE(orders.expires_at, excluded.expires_at)`,
        })
        .where((eb) => eb.or([newer, eb('orders.user_id', 'is', null)])),
    )
    .execute();
}

/**
 * Applies order.cancelled events, each when newer than what the replica holds. An
 * unknown order gets a row anyway (id, status, version), so that its late
 * order.created, being older, cannot bring it back to life. One statement for a
 * batch: the newest cancel of each order, rows in id order (two batches lock
 * them in the same order).
 */
export async function applyOrdersCancelled(
  db: Kysely<PaymentsDatabase>,
  orders: EventData<'order.cancelled'>[],
): Promise<void> {
  const newest = newestById(orders);
  if (newest.length === 0) return;
  // Two array parameters whatever the batch's size, as orders' ticket replica: a
  // VALUES row per order is query building per event (bench/bottlenecks.md §21).
  await sql`
    INSERT INTO orders (id, status, version)
    SELECT id, 'cancelled', version
    FROM unnest(${newest.map((order) => order.id)}::uuid[], ${newest.map((order) => order.version)}::integer[])
      AS cancel(id, version)
    ORDER BY id
    ON CONFLICT (id) DO UPDATE SET status = 'cancelled', version = excluded.version
    WHERE orders.version < excluded.version`.execute(db);
}

/**
 * Applies order.completed: the order is complete (if newer), and the seller and
 * the event's start, which the sale's proceeds need, are known for sure.
 */
export async function applyOrderCompleted(
  db: Kysely<PaymentsDatabase>,
  order: EventData<'order.completed'>,
): Promise<void> {
  const sellerId = order.ticket.userId;
  const eventStartsAt = order.ticket.eventStartsAt ? new Date(order.ticket.eventStartsAt) : null;
  await db
    .insertInto('orders')
    .values({
      id: order.id,
      user_id: order.userId,
      price_cents: toCents(order.ticket.price),
      status: 'complete',
      version: order.version,
      seller_id: sellerId,
      event_starts_at: eventStartsAt,
      ticket_id: order.ticket.id,
    })
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet({
        ticket_id: sql`excluded.ticket_id`,
        status: sql`CASE WHEN orders.version < excluded.version THEN excluded.status ELSE orders.status END`,
        version: sql`GREATEST(orders.version, excluded.version)`,
        seller_id: sql`excluded.seller_id`,
        event_starts_at: sql`excluded.event_starts_at`,
      }),
    )
    .execute();
}
