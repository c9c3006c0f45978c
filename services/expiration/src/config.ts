import { baseConfigSchema, env, natsConfigSchema, redisConfigSchema } from '@gittix/common';
import type { z } from 'zod';

/** The expiration service's environment; every key has a local default. */
export const expirationConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend({
    PORT: env.port(3004),
    /**
     * Jobs the BullMQ worker handles at once. Each stays active until JetStream has
     * acknowledged its expiration.complete, so a burst fires in waves of this many, a
     * round trip apart: with 50, 1,000 orders due together fired in 20 waves
     * (bench/bottlenecks.md §19).
     */
    EXPIRATION_WORKER_CONCURRENCY: env.positiveInt(1000),
  });

export type ExpirationConfig = z.output<typeof expirationConfigSchema>;
