import { authVerifyConfigSchema, baseConfigSchema, env, natsConfigSchema } from '@gittix/common';
import { z } from 'zod';

/** An unset key and an empty one (`STRIPE_SECRET_KEY=` in an env file) mean the same. */
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

/** The payments service's environment: sandbox payments work with every default. */
export const paymentsConfigSchema = baseConfigSchema
  .extend({
    ...natsConfigSchema.shape,
    ...authVerifyConfigSchema.shape,
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
    /** Longest wait for one charge or refund before the request answers 503. */
    PAYMENTS_PROVIDER_TIMEOUT_MS: env.positiveInt(20_000),
  })
  .superRefine((config, context) => {
    if (config.PAYMENTS_PROVIDER === 'stripe' && !config.STRIPE_SECRET_KEY) {
      context.addIssue({
        code: 'custom',
        path: ['STRIPE_SECRET_KEY'],
        message: 'Required when PAYMENTS_PROVIDER=stripe',
      });
    }
  });

export type PaymentsConfig = z.output<typeof paymentsConfigSchema>;
