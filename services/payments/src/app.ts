import {
  createServiceApp,
  type ReadinessChecks,
  type ServiceApp,
  type SessionVerifier,
} from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';
import type { PaymentProvider } from './providers/index.js';
import { paymentsRoutes } from './routes/payments.js';

export interface PaymentsAppDeps {
  db: Kysely<PaymentsDatabase>;
  logger: FastifyBaseLogger;
  verifySession: SessionVerifier;
  readiness: ReadinessChecks;
  provider: PaymentProvider;
  /** Longest wait for one provider call before answering 503. */
  providerTimeoutMs: number;
}

/** The payments service's HTTP app, built from its dependencies. */
export async function buildApp(deps: PaymentsAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'payments',
    logger: deps.logger,
    verifySession: deps.verifySession,
    readiness: deps.readiness,
    openapiPath: '/api/payments/openapi.json',
  });
  await app.register(paymentsRoutes, {
    prefix: '/api/payments',
    db: deps.db,
    provider: deps.provider,
    providerTimeoutMs: deps.providerTimeoutMs,
  });
  return app;
}
