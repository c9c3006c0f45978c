import type { EventBus, EventEnvelope } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { readStream } from '@gittix/events-cli/read-stream';
import { Job } from 'bullmq';
import type pg from 'pg';
import { inParallel, placeOrders } from '../harness/api.js';
import type { CpuUsage } from '../harness/cpu.js';
import type { ExpirationQueue } from '../harness/expiration-queue.js';
import type { SignedSession } from '../harness/sessions.js';
import { now, type Summary, summarize } from '../harness/stats.js';

export interface ExpiryResult {
  orders: number;
  /** How long placing them through the gateway took, s. */
  placedInSeconds: number;
  /** How long before the due instant the last job was moved to it, ms. */
  movedAheadMs: number;
  /** expiration.complete created by the worker − the due instant (envelope occurredAt). */
  fired: Summary;
  /** expiration.complete stored by JetStream − the due instant (stream timestamp). */
  stored: Summary;
  /** order.cancelled written by the orders service − the due instant (its occurredAt). */
  cancelled: Summary;
  cancelledInDb: number;
  /** CPU from the due instant to the last cancellation. */
  cpu: CpuUsage;
}

export interface ExpiryContext {
  baseUrl: string;
  /** Buyer i orders ticket i. */
  buyers: SignedSession[];
  ticketIds: string[];
  ordersPool: pg.Pool;
  expirations: ExpirationQueue;
  bus: EventBus;
  leadMs: number;
  /** Starts measuring CPU; the returned function reports. */
  meterCpu: () => Promise<() => Promise<CpuUsage>>;
}

/**
 * Orders that all expire at one instant. They are placed through the gateway
 * (the orders service writes them and their order.created; the expiration
 * service schedules each one's job), then their jobs are moved to one shared
 * instant with BullMQ's changeDelay, which the API cannot express. From there
 * everything is the real path: expiration worker → expiration.complete →
 * orders service → order.cancelled.
 */
export async function expireTogether(context: ExpiryContext): Promise<ExpiryResult> {
  const { expirations } = context;
  const placing = now();
  const orderIds = await placeOrders(context.baseUrl, context.buyers, context.ticketIds);
  const placedInSeconds = (now() - placing) / 1000;
  await waitFor(
    async () =>
      (await expirations.existing(orderIds, expirations.jobKeyOf)).size === orderIds.length,
    { timeoutMs: 120_000, intervalMs: 200, message: 'an expiration job for every order' },
  );

  const dueAt = Date.now() + context.leadMs;
  await inParallel(orderIds, 32, async (id) => {
    const job = await Job.fromId(expirations.queue, id);
    await job?.changeDelay(dueAt - Date.now());
  });
  const movedAheadMs = dueAt - Date.now();
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

  const ours = new Set(orderIds);
  const events = async (subject: 'expiration.complete' | 'order.cancelled') =>
    (await readStream(context.bus.js, context.bus.stream, context.bus.subjectOf(subject)))
      .map((message) => ({ envelope: message.json<EventEnvelope>(), message }))
      .filter(({ envelope }) => {
        const data = envelope.data as { id?: string; orderId?: string };
        return ours.has(data.orderId ?? data.id ?? '');
      });
  const fired = await events('expiration.complete');
  const cancelled = await events('order.cancelled');
  const lag = (at: number) => at - dueAt;
  return {
    orders: orderIds.length,
    placedInSeconds,
    movedAheadMs,
    fired: summarize(fired.map(({ envelope }) => lag(Date.parse(envelope.occurredAt)))),
    stored: summarize(fired.map(({ message }) => lag(message.info.timestampNanos / 1e6))),
    cancelled: summarize(cancelled.map(({ envelope }) => lag(Date.parse(envelope.occurredAt)))),
    cancelledInDb,
    cpu,
  };
}
