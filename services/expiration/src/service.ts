import { defineService } from '@gittix/common';
import { buildApp } from './app.js';
import { expirationConfigSchema } from './config.js';
import { expirationSubscriptions } from './events/subscriptions.js';
import { startExpirationWorker } from './expiration-worker.js';
import { expiryDelayHistogram, registerQueueMetrics } from './metrics.js';
import { OrderExpirations } from './order-expirations.js';

/** The expiration service: one delayed job per order, fired as expiration.complete. */
export const expirationService = defineService({
  name: 'expiration',
  configSchema: expirationConfigSchema,
  // Events handled at once per subject: each is a Redis round trip or two.
  needs: { events: { consumerConcurrency: 16 }, redis: true },
  build: async ({ config, bus, redis, logger, readiness }) => {
    const prefix = config.QUEUE_PREFIX;
    const expirations = new OrderExpirations(redis, prefix);
    // Without a listener BullMQ prints Redis outages to stderr, outside the JSON logs.
    expirations.queue.on('error', (err) => logger.warn({ err }, 'expiration queue error'));
    const app = await buildApp({ logger, readiness });
    registerQueueMetrics(app.metrics, expirations);
    const delay = expiryDelayHistogram(app.metrics);
    const worker = startExpirationWorker({
      redis,
      prefix,
      bus,
      logger,
      delay,
      concurrency: config.EXPIRATION_WORKER_CONCURRENCY,
    });
    return {
      app,
      subscriptions: expirationSubscriptions(expirations),
      alsoStop: [
        // Finishes the jobs being published before letting go of Redis and NATS; with
        // Redis out of reach none can finish (BullMQ redoes them later), so it does not wait.
        ['worker', () => worker.close(redis.status !== 'ready')],
        ['queue', () => expirations.close()],
      ],
    };
  },
});
