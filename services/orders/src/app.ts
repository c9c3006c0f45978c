import {
  type AdmissionSettings,
  createServiceApp,
  DEFAULT_REPLICA_WAIT_MS,
  type ReadinessChecks,
  type ServiceApp,
  type SessionVerifier,
} from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { OrdersDatabase } from './db/schema.js';
import { ordersRoutes } from './routes/orders.js';

export interface OrdersAppDeps {
  db: Kysely<OrdersDatabase>;
  logger: FastifyBaseLogger;
  verifySession: SessionVerifier;
  readiness: ReadinessChecks;
  /** Admission control's limits (ADMISSION_*); the defaults when omitted. */
  admission?: AdmissionSettings;
  orderExpirationSeconds: number;
  maxOpenOrdersPerUser: number;
  /** How long an order for a ticket the replica has not heard of yet waits for it (REPLICA_WAIT_MS). */
  replicaWaitMs?: number;
}

/** The orders service's HTTP app, built from its dependencies. */
export async function buildApp(deps: OrdersAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'orders',
    logger: deps.logger,
    verifySession: deps.verifySession,
    readiness: deps.readiness,
    admission: deps.admission,
    openapiPath: '/api/orders/openapi.json',
  });
  await app.register(ordersRoutes, {
    prefix: '/api/orders',
    db: deps.db,
    orderExpirationSeconds: deps.orderExpirationSeconds,
    maxOpenOrdersPerUser: deps.maxOpenOrdersPerUser,
    replicaWaitMs: deps.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS,
  });
  return app;
}
