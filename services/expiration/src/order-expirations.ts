import { isTracingExported, traceCarrier } from '@gittix/common';
import { Queue, type Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type { Redis } from 'ioredis';

export const EXPIRATION_QUEUE = 'order-expiration';

/** What a job carries: the order to expire and when. */
export interface ExpirationJob {
  orderId: string;
  expiresAt: string;
  /** W3C headers of the order.created handling that scheduled it (absent on older jobs). */
  trace?: Record<string, string>;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * BullMQ's own spans (`add order-expiration.expire`, `process order-expiration`, and
 * the job's `complete` or `remove`), through bullmq-otel, only when spans are
 * exported: without an endpoint BullMQ makes no span at all and the job's `trace`
 * alone carries the ids for the log lines. Its background loops' spans start no
 * trace (`NoBackgroundRoots` in the sampler).
 */
export function expirationTelemetry(): { telemetry?: Telemetry } {
  return isTracingExported()
    ? { telemetry: new BullMQOtel({ tracerName: '@gittix/expiration' }) }
    : {};
}

/**
 * Finished jobs and cancellation marks are kept a day: a duplicate order.created
 * within that day finds them and schedules nothing. One later still (the stream
 * keeps NATS_STREAM_MAX_AGE_HOURS, 96 by default) fires at once, and is harmless:
 * orders ignores expiration.complete for an order that is no longer open.
 */
export const KEEP_FINISHED_SECONDS = DAY_SECONDS;

/**
 * The delayed jobs that fire expiration.complete, one per order (jobId = order
 * id, so a redelivered order.created adds nothing). A cancelled order gets a
 * mark as well as losing its job: order.created and order.cancelled come through
 * separate consumers, so a cancellation may be handled before the job exists.
 */
export class OrderExpirations {
  readonly queue: Queue<ExpirationJob>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.queue = new Queue<ExpirationJob>(EXPIRATION_QUEUE, {
      connection: redis,
      prefix,
      ...expirationTelemetry(),
    });
  }

  /** Schedules the order's expiry at `expiresAt` (at once if that has passed). */
  async schedule(job: ExpirationJob, now = Date.now()): Promise<void> {
    if (await this.isCancelled(job.orderId)) return;
    // The job carries the trace on, so expiration.complete joins the order's trace
    // (with telemetry, BullMQ's `add` span is in between: job.opts.telemetry).
    await this.queue.add(
      'expire',
      { ...job, trace: traceCarrier() },
      {
        jobId: job.orderId,
        delay: Math.max(0, Date.parse(job.expiresAt) - now),
        attempts: 10_000,
        backoff: { type: 'capped-exponential' },
        removeOnComplete: { age: KEEP_FINISHED_SECONDS },
        removeOnFail: { age: 7 * DAY_SECONDS },
      },
    );
    // The order may have been cancelled between the check and the add.
    if (await this.isCancelled(job.orderId)) await this.queue.remove(job.orderId);
  }

  /** The order was cancelled: its expiry must never fire. */
  async cancel(orderId: string): Promise<void> {
    await this.redis.set(this.cancelledKey(orderId), '1', 'EX', KEEP_FINISHED_SECONDS);
    // A job being processed right now stays (remove answers 0): it publishes, and the
    // orders service ignores the expiry of an order that is no longer open.
    await this.queue.remove(orderId);
  }

  async isCancelled(orderId: string): Promise<boolean> {
    return (await this.redis.exists(this.cancelledKey(orderId))) === 1;
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private cancelledKey(orderId: string): string {
    return `${this.prefix}:${EXPIRATION_QUEUE}-cancelled:${orderId}`;
  }
}
