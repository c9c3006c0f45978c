import type { Job } from 'bullmq';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { ExpirationJob, OrderExpirations } from './order-expirations.js';

const STATES = ['waiting', 'delayed', 'active', 'failed', 'prioritized'] as const;

/** How late a job is: from its order's expiresAt to now (0 when not due yet). */
function overdueSeconds(job: Job<ExpirationJob> | undefined, now: number): number {
  if (!job) return 0;
  const due = Date.parse(job.data.expiresAt);
  return Number.isNaN(due) ? 0 : Math.max(0, (now - due) / 1000);
}

/**
 * The expiration queue in /metrics, read from Redis at each scrape:
 * `gittix_expiration_jobs{state}` (BullMQ's job counts) and
 * `gittix_expiration_overdue_seconds`, how far past its order's expiresAt the most
 * overdue job still waiting to fire is. 0 while the worker keeps up; growing when
 * it is stuck (Redis or NATS away) and holds stay on tickets that should be free.
 */
export function registerQueueMetrics(registry: Registry, expirations: OrderExpirations): void {
  const { queue } = expirations;
  new Gauge({
    name: 'gittix_expiration_jobs',
    help: 'Order expiry jobs in the BullMQ queue, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) this.set({ state }, counts[state] ?? 0);
      } catch {
        // Redis is away: /metrics still answers, with the last counts.
      }
    },
  });
  new Gauge({
    name: 'gittix_expiration_overdue_seconds',
    help: 'How far past its expiresAt the most overdue order expiry not fired yet is (0 when none is due)',
    registers: [registry],
    async collect() {
      try {
        // The earliest delayed job (sorted by due time) and the oldest waiting one.
        const [delayed, waiting] = await Promise.all([
          queue.getJobs(['delayed'], 0, 0, true),
          queue.getJobs(['wait'], 0, 0, true),
        ]);
        const now = Date.now();
        this.set(Math.max(overdueSeconds(delayed[0], now), overdueSeconds(waiting[0], now)));
      } catch {
        // Redis is away: keep the last value.
      }
    },
  });
}

/** How late each expiry fired (publish time minus expiresAt), observed by the worker. */
export function expiryDelayHistogram(registry: Registry): Histogram {
  return new Histogram({
    name: 'gittix_expiration_delay_seconds',
    help: 'How long after its expiresAt an order expiry was published (expiration.complete)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
}
