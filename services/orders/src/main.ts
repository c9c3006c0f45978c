import {
  createLogger,
  createSessionVerifier,
  EventConsumers,
  OutboxRelay,
  openDatabase,
  openEventBus,
  runService,
  stopInOrder,
} from '@gittix/common';
import { buildApp } from './app.js';
import { loadOrdersConfig } from './config.js';
import { migrations } from './db/migrations.js';
import type { OrdersDatabase } from './db/schema.js';
import { ordersSubscriptions } from './events/subscriptions.js';

/** Events handled at once per subject: each is one short transaction. */
const CONSUMER_CONCURRENCY = 4;

const config = loadOrdersConfig();
const logger = createLogger({ name: 'orders', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

await runService({
  name: 'orders',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const db = await openDatabase<OrdersDatabase>(config.DATABASE_URL, migrations, {
      applicationName: 'orders',
    });
    const bus = await openEventBus(config, 'orders', logger);
    const relay = new OutboxRelay({
      db,
      databaseUrl: config.DATABASE_URL,
      bus,
      logger,
    });
    relay.start();
    const app = await buildApp({
      db,
      bus,
      logger,
      verifySession: createSessionVerifier({
        publicKeyPem: config.JWT_PUBLIC_KEY,
        jwksUrl: config.AUTH_JWKS_URL,
      }),
      orderExpirationSeconds: config.ORDER_EXPIRATION_SECONDS,
    });
    const consumers = new EventConsumers({
      bus,
      service: 'orders',
      subscriptions: ordersSubscriptions(db),
      logger,
      concurrency: CONSUMER_CONCURRENCY,
    });
    await consumers.start();
    await app.listen({ port: config.PORT, host: config.HOST });
    return stopInOrder(logger, [
      ['consumers', () => consumers.stop()],
      ['http', () => app.close()],
      ['outbox relay', () => relay.stop()],
      ['event bus', () => bus.close()],
      ['database', () => db.destroy()],
    ]);
  },
});
