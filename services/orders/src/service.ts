import { defineService, postgres } from '@gittix/common';
import { buildApp } from './app.js';
import { ordersConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { OrdersDatabase } from './db/schema.js';
import { ordersSubscriptions } from './events/subscriptions.js';
import { registerOverdueOrdersGauge } from './metrics.js';
import { orderSweeper } from './sweeper.js';

/** The orders service: orders and their hold, over a replica of the tickets. */
export const ordersService = defineService({
  name: 'orders',
  configSchema: ordersConfigSchema,
  needs: {
    database: postgres<OrdersDatabase>(migrations),
    // Each event is one short transaction; expiry bursts need a few at once.
    events: { consumerConcurrency: 4 },
    sessions: true,
  },
  build: async ({ config, db, logger, verifySession, readiness, admission }) => {
    const app = await buildApp({
      db,
      logger,
      verifySession,
      readiness,
      admission,
      orderExpirationSeconds: config.ORDER_EXPIRATION_SECONDS,
      maxOpenOrdersPerUser: config.MAX_OPEN_ORDERS_PER_USER,
      replicaWaitMs: config.REPLICA_WAIT_MS,
    });
    // Whether every order ends: the sweeper's own failure shows here.
    registerOverdueOrdersGauge(app.metrics, db);
    return {
      app,
      subscriptions: ordersSubscriptions,
      tasks: [
        orderSweeper({
          db,
          logger,
          metrics: app.metrics,
          graceSeconds: config.ORDER_SWEEP_GRACE_SECONDS,
          intervalMs: config.ORDER_SWEEP_INTERVAL_MS,
        }),
      ],
    };
  },
});
