import { openDatabase, runEventService } from '@gittix/common';
import { buildApp } from './app.js';
import { ticketsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { TicketsDatabase } from './db/schema.js';
import { ticketsSubscriptions } from './events/subscriptions.js';

await runEventService({
  name: 'tickets',
  configSchema: ticketsConfigSchema,
  openDatabase: (url) =>
    openDatabase<TicketsDatabase>(url, migrations, { applicationName: 'tickets' }),
  build: async ({ db, eventsDb, bus, logger, verifySession }) => ({
    app: await buildApp({ db, bus, logger, verifySession }),
    subscriptions: ticketsSubscriptions(eventsDb),
  }),
});
