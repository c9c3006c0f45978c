import { baseConfigSchema, env, natsConfigSchema, redisConfigSchema } from '@gittix/common';
import type { z } from 'zod';

/** The expiration service's environment; every key has a local default. */
export const expirationConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend({ PORT: env.port(3004) });

export type ExpirationConfig = z.output<typeof expirationConfigSchema>;
