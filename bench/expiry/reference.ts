import { uniqueName, waitFor } from '@gittix/common/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The ceiling for firing delayed jobs on this Redis: BullMQ alone, the same
 * number of jobs due at one instant, a worker with the expiration service's
 * concurrency whose job does nothing but note the time. Its lag is what
 * BullMQ's polling and per-job scripts cost before GitTix does any work.
 * Returns each job's lag (fired − due), ms.
 */
export async function bareBullmqBurst(options: {
  redisUrl: string;
  jobs: number;
  leadMs: number;
  concurrency: number;
}): Promise<number[]> {
  const prefix = uniqueName('refq');
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('reference-expiration', { connection, prefix });
  const fired = new Map<string, number>();
  const worker = new Worker(
    'reference-expiration',
    async (job) => {
      fired.set(job.id!, Date.now());
    },
    { connection, prefix, concurrency: options.concurrency },
  );
  try {
    const dueAt = Date.now() + options.leadMs;
    await queue.addBulk(
      Array.from({ length: options.jobs }, (_, i) => ({
        name: 'expire',
        data: { i },
        opts: { jobId: `job-${i}`, delay: dueAt - Date.now(), removeOnComplete: true },
      })),
    );
    await waitFor(() => fired.size === options.jobs, {
      timeoutMs: options.leadMs + 60_000,
      intervalMs: 50,
      message: 'reference jobs fired',
    });
    return [...fired.values()].map((at) => at - dueAt);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await connection.quit();
  }
}
