import {
  createServiceApp,
  type EventBus,
  pingDb,
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
  bus: EventBus;
  logger: FastifyBaseLogger;
  verifySession: SessionVerifier;
  provider: PaymentProvider;
  /** Longest wait for one provider call before answering 503. */
  providerTimeoutMs: number;
}

/** The payments service's HTTP app, built from its dependencies (tests build it too). */
export async function buildApp(deps: PaymentsAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'payments',
    logger: deps.logger,
    verifySession: deps.verifySession,
    readiness: {
      database: () => pingDb(deps.db),
      nats: () => deps.bus.ping(),
    },
    openapiPath: '/api/payments/openapi.json',
  });
  await app.register(paymentsRoutes, { prefix: '/api/payments', ...deps });
  return app;
}
