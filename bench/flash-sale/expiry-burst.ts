import { randomUUID } from 'node:crypto';
import { type EventEnvelope, enqueueEvent, toCents } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { type Summary, summarize } from './stats.js';
import type { BenchSystem } from './system.js';
import { listTickets } from './tickets.js';

export interface ExpiryBurstSettings {
  orders: number;
  /** How far ahead the common expiresAt is: long enough for every job to be scheduled first. */
  leadSeconds: number;
}

export interface ExpiryBurstResult {
  orders: number;
  jobsScheduledBeforeExpiry: number;
  /** expiration.complete seen on the bus − expiresAt. */
  fired: Summary;
  /** order.cancelled seen on the bus − expiresAt (orders consumed the expiry, committed, relayed). */
  cancelled: Summary;
  cancelledInDb: number;
  /** First to last expiration.complete. */
  firingSpreadMs: number;
}

/**
 * `orders` orders that all expire at the same instant. They are written the way
 * createOrder writes them (order row + order.created in one transaction) but
 * with one shared expiresAt, which the HTTP API can't express; from there on
 * everything is the real path: relay → expiration service → BullMQ → worker →
 * expiration.complete → orders → order.cancelled.
 */
export async function runExpiryBurst(
  system: BenchSystem,
  settings: ExpiryBurstSettings,
): Promise<ExpiryBurstResult> {
  const ticketIds = await listTickets(system, settings.orders);
  const fired = new Map<string, number>();
  const cancelled = new Map<string, number>();
  const listen = (subject: 'expiration.complete' | 'order.cancelled', seen: Map<string, number>) =>
    system.bus.nc.subscribe(system.bus.subjectOf(subject), {
      callback: (error, message) => {
        if (error) return;
        const at = Date.now();
        const envelope = message.json<EventEnvelope>();
        const orderId =
          subject === 'expiration.complete'
            ? (envelope as EventEnvelope<'expiration.complete'>).data.orderId
            : (envelope as EventEnvelope<'order.cancelled'>).data.id;
        if (!seen.has(orderId)) seen.set(orderId, at);
      },
    });
  const subscriptions = [
    listen('expiration.complete', fired),
    listen('order.cancelled', cancelled),
  ];

  try {
    const before = await system.queue.getDelayedCount();
    const expiresAt = new Date(Date.now() + settings.leadSeconds * 1000);
    const orderIds = await placeOrdersExpiringAt(system, ticketIds, expiresAt);
    const scheduled = await waitFor(
      async () => {
        const added = (await system.queue.getDelayedCount()) - before;
        return (added >= settings.orders || Date.now() >= expiresAt.getTime()) && { added };
      },
      { timeoutMs: settings.leadSeconds * 1000 + 5_000, intervalMs: 100 },
    );
    await waitFor(() => orderIds.every((id) => cancelled.has(id)), {
      timeoutMs: settings.leadSeconds * 1000 + 120_000,
      intervalMs: 50,
      message: `${settings.orders} orders cancelled by expiry`,
    });

    const base = expiresAt.getTime();
    const firedAt = orderIds.map((id) => fired.get(id)!).filter((at) => at !== undefined);
    const { n } = await system.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', 'in', orderIds)
      .where('status', '=', 'cancelled')
      .executeTakeFirstOrThrow();
    return {
      orders: orderIds.length,
      jobsScheduledBeforeExpiry: Math.min(scheduled.added, settings.orders),
      fired: summarize(firedAt.map((at) => at - base)),
      cancelled: summarize(orderIds.map((id) => cancelled.get(id)! - base)),
      cancelledInDb: Number(n),
      firingSpreadMs: Math.max(...firedAt) - Math.min(...firedAt),
    };
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
}

async function placeOrdersExpiringAt(
  system: BenchSystem,
  ticketIds: string[],
  expiresAt: Date,
): Promise<string[]> {
  const ids: string[] = [];
  const price = 49.99;
  for (let i = 0; i < ticketIds.length; i += 100) {
    await system.db.transaction().execute(async (trx) => {
      for (const ticketId of ticketIds.slice(i, i + 100)) {
        const row = await trx
          .insertInto('orders')
          .values({
            user_id: randomUUID(),
            ticket_id: ticketId,
            ticket_title: 'Flash sale seat',
            ticket_price: toCents(price),
            status: 'created',
            expires_at: expiresAt,
          })
          .returning(['id', 'user_id', 'version'])
          .executeTakeFirstOrThrow();
        await enqueueEvent(trx, 'order.created', {
          id: row.id,
          version: row.version,
          status: 'created',
          userId: row.user_id,
          expiresAt: expiresAt.toISOString(),
          ticket: { id: ticketId, price },
        });
        ids.push(row.id);
      }
    });
  }
  return ids;
}
