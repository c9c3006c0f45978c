import { authVerifyConfigSchema, baseConfigSchema, env, natsConfigSchema } from '@gittix/common';
import type { z } from 'zod';

/** The orders service's environment; every key has a local default. */
export const ordersConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(authVerifyConfigSchema.shape)
  .extend({
    PORT: env.port(3003),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/orders'),
    /** How long an order holds its ticket before the expiration service cancels it. */
    ORDER_EXPIRATION_SECONDS: env.positiveInt(900),
  });

export type OrdersConfig = z.output<typeof ordersConfigSchema>;
