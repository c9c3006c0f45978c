import {
  createLogger,
  createSessionVerifier,
  EventConsumers,
  loadConfig,
  OutboxRelay,
  openDatabase,
  openEventBus,
  runService,
  stopInOrder,
} from '@gittix/common';
import { buildApp } from './app.js';
import { type PaymentsConfig, paymentsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { PaymentsDatabase } from './db/schema.js';
import { paymentsSubscriptions } from './events/index.js';
import { createPaymentProvider } from './providers/index.js';

function readConfig(): PaymentsConfig {
  try {
    return loadConfig(paymentsConfigSchema);
  } catch (error) {
    process.stderr.write(`payments: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const logger = createLogger({
  name: 'payments',
  level: config.LOG_LEVEL,
  pretty: config.LOG_PRETTY,
});

await runService({
  name: 'payments',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const provider = createPaymentProvider(config, logger);
    logger.info({ provider: provider.name }, 'payment provider selected');
    const db = await openDatabase<PaymentsDatabase>(config.DATABASE_URL, migrations, {
      applicationName: 'payments',
    });
    const bus = await openEventBus(config, 'payments', logger);
    const relay = new OutboxRelay({
      db,
      databaseUrl: config.DATABASE_URL,
      bus,
      logger,
    });
    relay.start();
    const providerTimeoutMs = config.PAYMENTS_PROVIDER_TIMEOUT_MS;
    const app = await buildApp({
      db,
      bus,
      logger,
      verifySession: createSessionVerifier({
        publicKeyPem: config.JWT_PUBLIC_KEY,
        jwksUrl: config.AUTH_JWKS_URL,
      }),
      provider,
      providerTimeoutMs,
    });
    const consumers = new EventConsumers({
      bus,
      service: 'payments',
      subscriptions: paymentsSubscriptions({ db, provider, providerTimeoutMs }),
      logger,
    });
    await consumers.start();
    await app.listen({ port: config.PORT, host: config.HOST });
    return stopInOrder(logger, [
      ['consumers', () => consumers.stop()],
      ['http', () => app.close()],
      ['outbox relay', () => relay.stop()],
      ['nats', () => bus.close()],
      ['database', () => db.destroy()],
    ]);
  },
});
