import { defineService, eventTablesRetentionMs, postgres } from '@gittix/common';
import { buildApp } from './app.js';
import { ticketsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { TicketsDatabase } from './db/schema.js';
import { ticketsSubscriptions } from './events/subscriptions.js';
import { ordersSeenPruner } from './prune-orders-seen.js';

/** The tickets service: listings in its database; order events reserve and release them. */
export const ticketsService = defineService({
  name: 'tickets',
  configSchema: ticketsConfigSchema,
  needs: { database: postgres<TicketsDatabase>(migrations), events: {}, sessions: true },
  build: async ({ config, db, logger, verifySession, readiness }) => ({
    app: await buildApp({ db, logger, verifySession, readiness }),
    subscriptions: ticketsSubscriptions,
    tasks: [ordersSeenPruner({ db, logger, retentionMs: eventTablesRetentionMs(config) })],
  }),
});
