import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The expiration service's BullMQ queue, as docs/expiration.md documents it:
 * queue `order-expiration` under QUEUE_PREFIX, one job per order with the
 * order's id as job id, and a cancellation mark `<prefix>:order-expiration-cancelled:<id>`.
 */
export const EXPIRATION_QUEUE = 'order-expiration';

export function openExpirationQueue(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(EXPIRATION_QUEUE, { connection: redis, prefix });
  return {
    redis,
    queue,
    cancelMarkOf: (orderId: string) => `${prefix}:${EXPIRATION_QUEUE}-cancelled:${orderId}`,
    jobKeyOf: (orderId: string) => queue.toKey(orderId),
    /** Of these ids, those whose key Redis has (one round trip). */
    async existing(ids: string[], key: (id: string) => string): Promise<Set<string>> {
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.exists(key(id));
      const results = (await pipeline.exec()) ?? [];
      return new Set(ids.filter((_, i) => results[i]?.[1] === 1));
    },
    async close() {
      await queue.close().catch(() => {});
      redis.disconnect();
    },
  };
}

export type ExpirationQueue = ReturnType<typeof openExpirationQueue>;
