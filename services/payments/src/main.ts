import { openDatabase, runEventService } from '@gittix/common';
import { buildApp } from './app.js';
import { paymentsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { PaymentsDatabase } from './db/schema.js';
import { paymentsSubscriptions } from './events/index.js';
import { createPaymentProvider } from './providers/index.js';

await runEventService({
  name: 'payments',
  configSchema: paymentsConfigSchema,
  openDatabase: (url) =>
    openDatabase<PaymentsDatabase>(url, migrations, { applicationName: 'payments' }),
  build: async ({ config, db, eventsDb, bus, logger, verifySession }) => {
    const provider = createPaymentProvider(config, logger);
    logger.info({ provider: provider.name }, 'payment provider selected');
    const providerTimeoutMs = config.PAYMENTS_PROVIDER_TIMEOUT_MS;
    return {
      app: await buildApp({ db, bus, logger, verifySession, provider, providerTimeoutMs }),
      subscriptions: paymentsSubscriptions({ db: eventsDb, provider, providerTimeoutMs }),
    };
  },
});
