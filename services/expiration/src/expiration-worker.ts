import { contextFromCarrier, type EventBus, inSpan, type Logger, turnEnd } from '@gittix/common';
import { context, SpanKind } from '@opentelemetry/api';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Histogram } from 'prom-client';
import { EXPIRATION_QUEUE, type ExpirationJob, expirationTelemetry } from './order-expirations.js';

export interface ExpirationWorkerOptions {
  redis: Redis;
  prefix: string;
  bus: EventBus;
  logger: Logger;
  /** Jobs handled at once: publishing waits for JetStream, so many can overlap. */
  concurrency: number;
  /** Observes how late each expiry was published (gittix_expiration_delay_seconds). */
  delay?: Histogram;
}

/** Retry delay after the n-th failed attempt: 0.5 s doubling, at most 30 s. */
export function retryDelayMs(attemptsMade: number): number {
  return Math.min(500 * 2 ** Math.max(0, attemptsMade - 1), 30_000);
}

/**
 * Fires due jobs: publishes expiration.complete with the order id as event id
 * (so JetStream de-duplicates a retried publish) and completes the job only
 * after JetStream acknowledged it; a failed publish is retried with backoff.
 */
export function startExpirationWorker(options: ExpirationWorkerOptions): Worker<ExpirationJob> {
  const { bus, logger } = options;
  const worker = new Worker<ExpirationJob>(
    EXPIRATION_QUEUE,
    (job) =>
      inSpan(
        'order expire',
        {
          kind: SpanKind.CONSUMER,
          // Under BullMQ's `process` span when the job was added with telemetry (it is
          // active here, child of the `add`); else straight under the scheduling handler.
          parent: job.opts.telemetry?.metadata
            ? context.active()
            : contextFromCarrier(job.data.trace),
          attributes: {
            'gittix.order_id': job.data.orderId,
            'bullmq.job.attempts': job.attemptsMade,
          },
        },
        async () => {
          const { orderId } = job.data;
          // No check of the cancel mark here: order.cancelled removes the job, so a job
          // only runs for a cancelled order when the cancel raced it, and orders ignores
          // an expiry of an order that is no longer open. The check cost a Redis round
          // trip per job, a sixth of the worker's CPU in a burst (bench/bottlenecks.md §11).
          // The jobs BullMQ hands over in this turn publish together: one write to
          // NATS for them all instead of one each (bench/bottlenecks.md §18).
          await turnEnd();
          await bus.publishEvent('expiration.complete', { orderId }, orderId);
          const due = Date.parse(job.data.expiresAt);
          if (!Number.isNaN(due)) options.delay?.observe(Math.max(0, (Date.now() - due) / 1000));
          logger.debug({ orderId, expiresAt: job.data.expiresAt }, 'order expired');
          return 'expired';
        },
      ),
    {
      connection: options.redis,
      prefix: options.prefix,
      concurrency: options.concurrency,
      settings: { backoffStrategy: retryDelayMs },
      ...expirationTelemetry(),
    },
  );
  worker.on('failed', (job, error) => {
    logger.warn(
      { err: error, orderId: job?.data.orderId },
      'expiration publish failed, will retry',
    );
  });
  worker.on('error', (error) => logger.error({ err: error }, 'expiration worker error'));
  return worker;
}
