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
import type { PaymentsDatabase } from './db/schema.js';
import type { PaymentLimits } from './limits.js';
import type { PaymentProvider } from './providers/index.js';
import { paymentsRoutes } from './routes/payments.js';
import { payoutsRoutes } from './routes/payouts.js';
import { webhooksRoutes } from './routes/webhooks.js';

export interface PaymentsAppDeps {
  db: Kysely<PaymentsDatabase>;
  /** A pool of POST /api/payments' own. */
  paymentsDb: Kysely<PaymentsDatabase>;
  logger: FastifyBaseLogger;
  verifySession: SessionVerifier;
  readiness: ReadinessChecks;
  /** Admission control's limits (ADMISSION_*); the defaults when omitted. */
  admission?: AdmissionSettings;
  provider: PaymentProvider;
  /** Longest wait for one provider call before answering 503. */
  providerTimeoutMs: number;
  limits: PaymentLimits;
  maxDeclines: number;
  /** How long a payment for an order the replica has not heard of yet waits for it (REPLICA_WAIT_MS). */
  replicaWaitMs?: number;
  feePercent: number;
  stripeWebhookSecret: string | undefined;
  stripeConnectWebhookSecret: string | undefined;
  /** Stripe live keys: only live webhook events count. */
  stripeLivemode: boolean;
  /** The site as people reach it: where provider onboarding sends a seller back. */
  publicUrl: string;
}

/** The payments service's HTTP app, built from its dependencies. */
export async function buildApp(deps: PaymentsAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'payments',
    logger: deps.logger,
    verifySession: deps.verifySession,
    readiness: deps.readiness,
    admission: deps.admission,
    openapiPath: '/api/payments/openapi.json',
  });
  await app.register(webhooksRoutes, {
    prefix: '/api/payments/webhooks',
    db: deps.db,
    stripeWebhookSecret: deps.stripeWebhookSecret,
    stripeConnectWebhookSecret: deps.stripeConnectWebhookSecret,
    livemode: deps.stripeLivemode,
    feePercent: deps.feePercent,
    provider: deps.provider,
    providerTimeoutMs: deps.providerTimeoutMs,
  });
  await app.register(paymentsRoutes, {
    prefix: '/api/payments',
    db: deps.db,
    paymentsDb: deps.paymentsDb,
    provider: deps.provider,
    providerTimeoutMs: deps.providerTimeoutMs,
    limits: deps.limits,
    maxDeclines: deps.maxDeclines,
    feePercent: deps.feePercent,
    replicaWaitMs: deps.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS,
  });
  await app.register(payoutsRoutes, {
    prefix: '/api/payouts',
    db: deps.db,
    provider: deps.provider,
    providerTimeoutMs: deps.providerTimeoutMs,
    publicUrl: deps.publicUrl,
    logger: deps.logger,
  });
  return app;
}
