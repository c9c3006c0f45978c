import { Redis } from 'ioredis';

/** Redis as BullMQ needs it: commands wait for a reconnect instead of failing. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

export type { Redis };

/** Closes politely (pending commands finish) unless Redis is out of reach, where that waits forever. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}
