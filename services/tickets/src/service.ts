import { defineService, eventTablesRetentionMs, postgres } from '@gittix/common';
import type { Kysely } from 'kysely';
import { buildApp } from './app.js';
import { type TicketsConfig, ticketsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { TicketsDatabase } from './db/schema.js';
import { ticketsSubscriptions } from './events/subscriptions.js';
import { type FileStore, postgresFileStore } from './files/store.js';
import { registerHoldMetrics } from './metrics.js';
import { ordersSeenPruner } from './prune-orders-seen.js';

/** Ticket files in the S3 bucket S3_BUCKET names, else in the tickets database. */
async function fileStoreFor(
  config: TicketsConfig,
  db: Kysely<TicketsDatabase>,
): Promise<FileStore> {
  if (!config.S3_BUCKET) return postgresFileStore(db);
  // The AWS SDK is loaded only by the deployments that use it.
  const { s3FileStore } = await import('./files/s3-store.js');
  const { S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = config;
  return s3FileStore({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  });
}

/** The tickets service: listings in its database; order events reserve and release them. */
export const ticketsService = defineService({
  name: 'tickets',
  configSchema: ticketsConfigSchema,
  needs: { database: postgres<TicketsDatabase>(migrations), events: {}, sessions: true },
  build: async ({ config, db, logger, verifySession, readiness, admission }) => {
    const fileStore = await fileStoreFor(config, db);
    const app = await buildApp({
      db,
      logger,
      verifySession,
      readiness,
      admission,
      fileStore,
      replicaWaitMs: config.REPLICA_WAIT_MS,
    });
    // A reservation its order's end never reached shows here.
    registerHoldMetrics(app.metrics, db);
    return {
      app,
      subscriptions: ticketsSubscriptions,
      tasks: [ordersSeenPruner({ db, logger, retentionMs: eventTablesRetentionMs(config) })],
      alsoStop: fileStore.close
        ? [['file store', () => fileStore.close?.() ?? Promise.resolve()]]
        : [],
    };
  },
});
