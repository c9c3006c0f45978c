import { Redis } from 'ioredis';

/** Redis as BullMQ needs it: commands wait for a reconnect instead of failing. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

export type { Redis };
