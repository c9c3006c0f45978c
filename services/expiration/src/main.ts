import {
  createLogger,
  EventConsumers,
  loadServiceConfig,
  openEventBus,
  runService,
  stopInOrder,
} from '@gittix/common';
import { buildApp } from './app.js';
import { expirationConfigSchema } from './config.js';
import { expirationSubscriptions } from './events/subscriptions.js';
import { startExpirationWorker } from './expiration-worker.js';
import { connectRedis, OrderExpirations } from './order-expirations.js';

/** Events handled at once per subject: each is a Redis round trip or two. */
const CONSUMER_CONCURRENCY = 16;

const config = loadServiceConfig('expiration', expirationConfigSchema);
const logger = createLogger({
  name: 'expiration',
  level: config.LOG_LEVEL,
  pretty: config.LOG_PRETTY,
});

await runService({
  name: 'expiration',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const bus = await openEventBus(config, 'expiration', logger);
    const redis = connectRedis(config.REDIS_URL);
    const expirations = new OrderExpirations(redis, config.QUEUE_PREFIX);
    const worker = startExpirationWorker({
      redis,
      prefix: config.QUEUE_PREFIX,
      bus,
      expirations,
      logger,
    });
    const app = await buildApp({ redis, bus, logger });
    const consumers = new EventConsumers({
      bus,
      service: 'expiration',
      subscriptions: expirationSubscriptions(expirations),
      logger,
      concurrency: CONSUMER_CONCURRENCY,
    });
    await consumers.start();
    await app.listen({ port: config.PORT, host: config.HOST });
    return stopInOrder(logger, [
      ['consumers', () => consumers.stop()],
      ['http', () => app.close()],
      // Finishes the jobs being published before letting go of Redis and NATS.
      ['worker', () => worker.close()],
      ['queue', () => expirations.close()],
      ['redis', () => redis.quit()],
      ['event bus', () => bus.close()],
    ]);
  },
});
