import { Redis, type RedisOptions } from 'ioredis';

/** A Sentinel's address, as REDIS_SENTINELS lists them. */
export interface SentinelAddress {
  host: string;
  port: number;
}

/** Where Redis is: REDIS_URL alone, or the Sentinels that name its master. */
export interface RedisSettings {
  REDIS_URL: string;
  /** Set: ask these Sentinels for the master of REDIS_SENTINEL_NAME (REDIS_URL's host is ignored). */
  REDIS_SENTINELS?: SentinelAddress[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
}

/** The master name Sentinels monitor when REDIS_SENTINEL_NAME is unset. */
export const DEFAULT_SENTINEL_NAME = 'gittix';

/**
 * The ioredis options for `settings`, as BullMQ needs them: commands wait for a
 * reconnect instead of failing (`maxRetriesPerRequest: null`).
 *
 * With Sentinels, ioredis asks them for the master's address (and asks again after
 * a failover); REDIS_URL then gives only the credentials and database number, and
 * the Sentinels take the same password as Redis (`requirepass` in both).
 */
export function redisOptions(settings: RedisSettings | string): RedisOptions {
  const { REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_NAME } =
    typeof settings === 'string' ? { REDIS_URL: settings } : settings;
  const url = new URL(REDIS_URL);
  const username = decodeURIComponent(url.username) || undefined;
  const password = decodeURIComponent(url.password) || undefined;
  const db = Number(url.pathname.replace(/^\//, '') || 0);
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`REDIS_URL names no database number: ${url.pathname}`);
  const common: RedisOptions = {
    maxRetriesPerRequest: null,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  if (!REDIS_SENTINELS || REDIS_SENTINELS.length === 0) {
    return { ...common, host: url.hostname, port: Number(url.port || 6379) };
  }
  return {
    ...common,
    sentinels: REDIS_SENTINELS.map(({ host, port }) => ({ host, port })),
    name: REDIS_SENTINEL_NAME ?? DEFAULT_SENTINEL_NAME,
    ...(password ? { sentinelPassword: password } : {}),
    ...(url.protocol === 'rediss:' ? { enableTLSForSentinelMode: true } : {}),
  };
}

/** Redis as BullMQ needs it, from REDIS_URL or through Sentinel (see redisOptions). */
export function connectRedis(settings: RedisSettings | string): Redis {
  return new Redis(redisOptions(settings));
}

export type { Redis };

/** Closes politely (pending commands finish) unless Redis is out of reach, where that waits forever. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}
