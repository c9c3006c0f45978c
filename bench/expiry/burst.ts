import { randomUUID } from 'node:crypto';
import { type EventBus, type EventEnvelope, enqueueEvent, toCents } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { OrdersDatabase } from '../../services/orders/src/db/schema.js';
import type { CpuUsage } from '../harness/cpu.js';
import { type Summary, summarize } from '../harness/stats.js';

export interface ExpiryResult {
  orders: number;
  /** Delayed jobs in Redis for these orders before they were due. */
  scheduledBeforeDue: number;
  /** How long before the due instant the last job was scheduled, ms (negative: after). */
  scheduledAheadMs: number;
  /** expiration.complete created by the worker − expiresAt (envelope occurredAt). */
  fired: Summary;
  /** expiration.complete stored by JetStream − expiresAt (stream timestamp). */
  stored: Summary;
  /** order.cancelled written in the orders database − expiresAt (cancel transaction). */
  cancelled: Summary;
  cancelledInDb: number;
  /** CPU from the due instant to the last cancellation. */
  cpu: CpuUsage;
}

export interface ExpiryContext {
  ordersDb: Kysely<OrdersDatabase>;
  ordersPool: pg.Pool;
  /** The expiration service's queue (to count delayed jobs). */
  queue: Queue;
  bus: EventBus;
  ticketIds: string[];
  leadMs: number;
  /** Starts measuring CPU; the returned function reports. */
  meterCpu: () => Promise<() => Promise<CpuUsage>>;
}

/**
 * Orders that all expire at one instant. They are written as createOrder writes
 * them (order row + order.created in one transaction) but with one shared
 * expiresAt, which the API cannot express; from there on everything is the real
 * path: outbox relay → expiration service → BullMQ → worker →
 * expiration.complete → orders service → order.cancelled.
 */
export async function expireTogether(context: ExpiryContext): Promise<ExpiryResult> {
  const delayedBefore = await context.queue.getDelayedCount();
  const dueAt = Date.now() + context.leadMs;
  const orderIds = await placeOrdersDueAt(context.ordersDb, context.ticketIds, new Date(dueAt));
  let scheduledAt = Number.NaN;
  const scheduled = await waitFor(
    async () => {
      const added = (await context.queue.getDelayedCount()) - delayedBefore;
      if (added >= orderIds.length) scheduledAt = Date.now();
      return (added >= orderIds.length || Date.now() >= dueAt) && { added };
    },
    { timeoutMs: context.leadMs + 5_000, intervalMs: 100 },
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now())));
  const stopCpu = await context.meterCpu();
  let cancelledInDb = 0;
  await waitFor(
    async () => {
      const { rows } = await context.ordersPool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) AND status = 'cancelled'`,
        [orderIds],
      );
      cancelledInDb = rows[0]!.n;
      return cancelledInDb === orderIds.length;
    },
    { timeoutMs: 180_000, intervalMs: 100, message: 'expired orders cancelled' },
  );
  const cpu = await stopCpu();

  const expirations = await readExpirations(context.bus, new Set(orderIds));
  const { rows: cancellations } = await context.ordersPool.query<{ at: string }>(
    `SELECT envelope->>'occurredAt' AS at FROM outbox WHERE subject = 'order.cancelled'
      AND (envelope #>> '{data,id}')::uuid = ANY($1::uuid[])`,
    [orderIds],
  );
  return {
    orders: orderIds.length,
    scheduledBeforeDue: Math.min(scheduled.added, orderIds.length),
    scheduledAheadMs: dueAt - scheduledAt,
    fired: summarize(expirations.map((e) => e.occurredAt - dueAt)),
    stored: summarize(expirations.map((e) => e.storedAt - dueAt)),
    cancelled: summarize(cancellations.map((c) => Date.parse(c.at) - dueAt)),
    cancelledInDb,
    cpu,
  };
}

async function placeOrdersDueAt(
  db: Kysely<OrdersDatabase>,
  ticketIds: string[],
  expiresAt: Date,
): Promise<string[]> {
  const ids: string[] = [];
  const price = 49.99;
  for (let i = 0; i < ticketIds.length; i += 100) {
    await db.transaction().execute(async (trx) => {
      for (const ticketId of ticketIds.slice(i, i + 100)) {
        const row = await trx
          .insertInto('orders')
          .values({
            user_id: randomUUID(),
            ticket_id: ticketId,
            ticket_title: 'Expiring seat',
            ticket_price_cents: toCents(price),
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

/** The expiration.complete events of these orders, as JetStream stored them. */
async function readExpirations(bus: EventBus, orderIds: Set<string>) {
  const reader = await bus.js.consumers.get(bus.stream, {
    filter_subjects: bus.subjectOf('expiration.complete'),
    deliver_policy: DeliverPolicy.All,
  });
  const found: Array<{ occurredAt: number; storedAt: number }> = [];
  let remaining = (await reader.info()).num_pending;
  while (remaining > 0) {
    const batch = await reader.fetch({ max_messages: Math.min(remaining, 1000), expires: 5_000 });
    let got = 0;
    for await (const message of batch) {
      got++;
      remaining = message.info.pending;
      const envelope = message.json<EventEnvelope<'expiration.complete'>>();
      if (!orderIds.has(envelope.data.orderId)) continue;
      found.push({
        occurredAt: Date.parse(envelope.occurredAt),
        storedAt: message.info.timestampNanos / 1e6,
      });
    }
    if (got === 0) break;
  }
  return found;
}
