import { baseConfigSchema, env, loadConfig, natsConfigSchema } from '@gittix/common';
import type { z } from 'zod';

/** The expiration service's environment; every key has a local default. */
export const expirationConfigSchema = baseConfigSchema.extend(natsConfigSchema.shape).extend({
  PORT: env.port(3004),
  REDIS_URL: env.url('redis://127.0.0.1:6379'),
  /** First part of every Redis key the queue uses, so several systems (or tests) share a Redis. */
  QUEUE_PREFIX: env.name('gittix'),
});

export type ExpirationConfig = z.output<typeof expirationConfigSchema>;

export function loadExpirationConfig(
  environment: Record<string, string | undefined> = process.env,
): ExpirationConfig {
  return loadConfig(expirationConfigSchema, environment);
}
