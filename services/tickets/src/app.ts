import {
  createServiceApp,
  type EventBus,
  pingDb,
  type ServiceApp,
  type SessionVerifier,
} from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from './db/schema.js';
import { ticketsRoutes } from './routes/tickets.js';

export interface TicketsAppDeps {
  db: Kysely<TicketsDatabase>;
  /** Only probed for readiness: events leave through the outbox, never from a handler. */
  bus: EventBus;
  logger: FastifyBaseLogger;
  verifySession: SessionVerifier;
}

export const API_PREFIX = '/api/tickets';

/** The tickets service's HTTP app, built from its dependencies (tests build it too). */
export async function buildApp(deps: TicketsAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'tickets',
    logger: deps.logger,
    verifySession: deps.verifySession,
    readiness: {
      database: () => pingDb(deps.db),
      nats: () => deps.bus.ping(),
    },
    openapiPath: `${API_PREFIX}/openapi.json`,
  });
  await app.register(ticketsRoutes, { prefix: API_PREFIX, db: deps.db, basePath: API_PREFIX });
  return app;
}
