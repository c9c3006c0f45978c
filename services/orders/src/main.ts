import { openDatabase, runEventService } from '@gittix/common';
import { buildApp } from './app.js';
import { ordersConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { OrdersDatabase } from './db/schema.js';
import { ordersSubscriptions } from './events/subscriptions.js';

await runEventService({
  name: 'orders',
  configSchema: ordersConfigSchema,
  openDatabase: (url) =>
    openDatabase<OrdersDatabase>(url, migrations, { applicationName: 'orders' }),
  build: async ({ config, db, eventsDb, bus, logger, verifySession }) => ({
    app: await buildApp({
      db,
      bus,
      logger,
      verifySession,
      orderExpirationSeconds: config.ORDER_EXPIRATION_SECONDS,
    }),
    subscriptions: ordersSubscriptions(eventsDb),
    // Each event is one short transaction; expiry bursts need a few at once.
    consumerConcurrency: 4,
  }),
});
