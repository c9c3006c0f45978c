import {
  authVerifyConfigSchema,
  baseConfigSchema,
  env,
  migrateStepConfigSchema,
  natsConfigSchema,
  outboxListenConfigSchema,
  replicaWaitConfigSchema,
} from '@gittix/common';
import { z } from 'zod';

/** An unset key and an empty one (`STRIPE_SECRET_KEY=` in an env file) mean the same. */
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

/** The payments service's environment: sandbox payments work with every default. */
export const paymentsConfigSchema = baseConfigSchema
  .extend({
    ...natsConfigSchema.shape,
    ...outboxListenConfigSchema.shape,
    ...migrateStepConfigSchema.shape,
    ...authVerifyConfigSchema.shape,
    ...replicaWaitConfigSchema.shape,
    PORT: env.port(3005),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/payments'),
    /** `sandbox` charges nothing and needs no network; `stripe` charges through Stripe. */
    PAYMENTS_PROVIDER: z
      .enum(['sandbox', 'stripe'], { message: 'Must be sandbox or stripe' })
      .default('sandbox'),
    /** Stripe's secret API key (`sk_test_…` or `sk_live_…`); required with PAYMENTS_PROVIDER=stripe. */
    STRIPE_SECRET_KEY: z.preprocess(blankAsUnset, z.string().min(1).optional()),
    /** Where the Stripe SDK sends requests instead of api.stripe.com (a local stand-in). */
    STRIPE_API_BASE: z.preprocess(
      blankAsUnset,
      z.url({ protocol: /^https?$/, message: 'Must be an http(s) URL' }).optional(),
    ),
    /** Signs Stripe's webhook deliveries (`whsec_…`); without it the webhook refuses every call. */
    STRIPE_WEBHOOK_SECRET: z.preprocess(blankAsUnset, z.string().min(1).optional()),
    /** Signs the Connect endpoint's deliveries (events on sellers' accounts: `account.updated`). */
    STRIPE_CONNECT_WEBHOOK_SECRET: z.preprocess(blankAsUnset, z.string().min(1).optional()),
    /** The site as people reach it: Stripe Connect onboarding sends sellers back to its /payouts. */
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, message: 'Must be an http(s) URL' })
      .default('http://localhost:3000')
      .transform((url) => url.replace(/\/+$/, '')),
    /** Longest wait for one provider call before the request answers 503. */
    PAYMENTS_PROVIDER_TIMEOUT_MS: env.positiveInt(20_000),
    /** The platform's part of every sale, taken from the seller's proceeds. */
    PLATFORM_FEE_PERCENT: z.coerce
      .number({ message: 'Must be a number' })
      .min(0, { message: 'Must be between 0 and 100' })
      .max(100, { message: 'Must be between 0 and 100' })
      .default(10),
    /** The sandbox moves no money: it refuses NODE_ENV=production unless this says so. */
    PAYMENTS_SANDBOX_IN_PRODUCTION: env.boolean(false),
    /** POST /api/payments calls one user may make per minute before 429. */
    PAYMENTS_RATE_LIMIT_PER_MINUTE: env.positiveInt(20),
    /** POST /api/payments requests in flight at once, per user and in all. */
    PAYMENTS_MAX_IN_FLIGHT_PER_USER: env.positiveInt(2),
    PAYMENTS_MAX_IN_FLIGHT: env.positiveInt(6),
    /** How often the settler captures, voids, refunds and reconciles. */
    PAYMENTS_SETTLE_INTERVAL_MS: env.positiveInt(1_000),
    /** A pending attempt nobody touched for this long is looked up at the provider. */
    PAYMENTS_RECONCILE_AFTER_MS: env.positiveInt(30_000),
    /** First retry delay of a failed capture/void/refund; it doubles up to 10 minutes. */
    PAYMENTS_RETRY_BACKOFF_MS: env.positiveInt(1_000),
  })
  .superRefine((config, context) => {
    if (
      config.PAYMENTS_PROVIDER === 'sandbox' &&
      config.NODE_ENV === 'production' &&
      !config.PAYMENTS_SANDBOX_IN_PRODUCTION
    ) {
      context.addIssue({
        code: 'custom',
        path: ['PAYMENTS_PROVIDER'],
        message:
          'The sandbox moves no money: refused with NODE_ENV=production unless PAYMENTS_SANDBOX_IN_PRODUCTION=true',
      });
    }
    if (config.PAYMENTS_PROVIDER === 'stripe' && !config.STRIPE_SECRET_KEY) {
      context.addIssue({
        code: 'custom',
        path: ['STRIPE_SECRET_KEY'],
        message: 'Required when PAYMENTS_PROVIDER=stripe',
      });
    }
  });

export type PaymentsConfig = z.output<typeof paymentsConfigSchema>;
