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
import { type TicketsConfig, ticketsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { TicketsDatabase } from './db/schema.js';
import { ticketsSubscriptions } from './events/subscriptions.js';

function readConfig(): TicketsConfig {
  try {
    return loadConfig(ticketsConfigSchema);
  } catch (error) {
    process.stderr.write(`tickets: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const logger = createLogger({
  name: 'tickets',
  level: config.LOG_LEVEL,
  pretty: config.LOG_PRETTY,
});

await runService({
  name: 'tickets',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const db = await openDatabase<TicketsDatabase>(config.DATABASE_URL, migrations, {
      applicationName: 'tickets',
    });
    const bus = await openEventBus(config, 'tickets', logger);
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
    });
    const consumers = new EventConsumers({
      bus,
      service: 'tickets',
      subscriptions: ticketsSubscriptions(db),
      logger,
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
