import {
  authVerifyConfigSchema,
  baseConfigSchema,
  env,
  migrateStepConfigSchema,
  natsConfigSchema,
  outboxListenConfigSchema,
  replicaWaitConfigSchema,
} from '@gittix/common';
import type { z } from 'zod';

/** The orders service's environment; every key has a local default. */
export const ordersConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(outboxListenConfigSchema.shape)
  .extend(migrateStepConfigSchema.shape)
  .extend(authVerifyConfigSchema.shape)
  .extend(replicaWaitConfigSchema.shape)
  .extend({
    PORT: env.port(3003),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/orders'),
    /** How long an order holds its ticket before the expiration service cancels it. */
    ORDER_EXPIRATION_SECONDS: env.positiveInt(900),
    /**
     * An unpaid order this long past its expiresAt is cancelled by the orders service
     * itself (the expiration service normally does it on time; this covers a lost job).
     */
    ORDER_SWEEP_GRACE_SECONDS: env.positiveInt(30),
    /** Unpaid orders one buyer may hold at once; one more is 429. */
    MAX_OPEN_ORDERS_PER_USER: env.positiveInt(5),
    /** How often the orders service looks for overdue orders. */
    ORDER_SWEEP_INTERVAL_MS: env.positiveInt(5_000),
  });

export type OrdersConfig = z.output<typeof ordersConfigSchema>;
