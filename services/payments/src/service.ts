import { defineService, postgres } from '@gittix/common';
import { buildApp } from './app.js';
import { paymentsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { PaymentsDatabase } from './db/schema.js';
import { paymentsSubscriptions } from './events/subscriptions.js';
import { createPaymentProvider, type PaymentProvider } from './providers/index.js';

/** What a test may hand the payments service instead of the configured provider. */
export interface PaymentsParts {
  provider: PaymentProvider;
}

/** The payments service: charges once per order, over a replica of the orders. */
export const paymentsService = defineService({
  name: 'payments',
  configSchema: paymentsConfigSchema,
  needs: { database: postgres<PaymentsDatabase>(migrations), events: {}, sessions: true },
  build: async (
    { config, db, logger, verifySession, readiness },
    parts: Partial<PaymentsParts>,
  ) => {
    const provider = parts.provider ?? createPaymentProvider(config, logger);
    logger.info({ provider: provider.name }, 'payment provider selected');
    const providerTimeoutMs = config.PAYMENTS_PROVIDER_TIMEOUT_MS;
    return {
      app: await buildApp({ db, logger, verifySession, readiness, provider, providerTimeoutMs }),
      subscriptions: paymentsSubscriptions({ provider, providerTimeoutMs }),
    };
  },
});
