import { authVerifyConfigSchema, baseConfigSchema, env, natsConfigSchema } from '@gittix/common';
import type { z } from 'zod';

/** The tickets service's environment; every key has a local default. */
export const ticketsConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(authVerifyConfigSchema.shape)
  .extend({
    PORT: env.port(3002),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/tickets'),
  });

export type TicketsConfig = z.output<typeof ticketsConfigSchema>;
