import {
  type AdmissionSettings,
  createServiceApp,
  DEFAULT_REPLICA_WAIT_MS,
  type ReadinessChecks,
  type ServiceApp,
  type SessionVerifier,
  TICKET_FILE_MAX_BYTES,
} from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import type { FileStore } from './files/store.js';
import { eventsRoutes } from './routes/events.js';
import { ticketFilesRoutes } from './routes/ticket-files.js';
import { ticketsRoutes } from './routes/tickets.js';

export interface TicketsAppDeps {
  db: Kysely<TicketsDatabase>;
  logger: FastifyBaseLogger;
  verifySession: SessionVerifier;
  readiness: ReadinessChecks;
  /** Admission control's limits (ADMISSION_*); the defaults when omitted. */
  admission?: AdmissionSettings;
  /** Where ticket files' content lives (the database, or an S3 bucket). */
  fileStore: FileStore;
  /** How long a buyer's download waits for the sale to reach tickets (REPLICA_WAIT_MS). */
  replicaWaitMs?: number;
}

export const API_PREFIX = '/api/tickets';
export const EVENTS_PREFIX = '/api/events';

/** The tickets service's HTTP app, built from its dependencies. */
export async function buildApp(deps: TicketsAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'tickets',
    logger: deps.logger,
    verifySession: deps.verifySession,
    readiness: deps.readiness,
    admission: deps.admission,
    openapiPath: `${API_PREFIX}/openapi.json`,
  });
  await app.register(ticketsRoutes, { prefix: API_PREFIX, db: deps.db, basePath: API_PREFIX });
  await app.register(eventsRoutes, { prefix: EVENTS_PREFIX, db: deps.db, basePath: EVENTS_PREFIX });
  await app.register(ticketFilesRoutes, {
    prefix: API_PREFIX,
    db: deps.db,
    store: deps.fileStore,
    maxBytes: TICKET_FILE_MAX_BYTES,
    replicaWaitMs: deps.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS,
  });
  return app;
}
