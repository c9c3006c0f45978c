import {
  createDb,
  defineService,
  postgres,
  registerPoolMetrics,
  type StopStep,
} from '@gittix/common';
import { buildApp } from './app.js';
import { paymentsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { PaymentsDatabase } from './db/schema.js';
import { paymentsSubscriptions } from './events/subscriptions.js';
import { PaymentLimits } from './limits.js';
import { paymentOutcomes, registerSettlementMetrics } from './metrics.js';
import {
  createPaymentProvider,
  type PaymentProvider,
  type SandboxTables,
} from './providers/index.js';
import { Settler } from './settler.js';

/** What a test may hand the payments service instead of the configured provider. */
export interface PaymentsParts {
  provider: PaymentProvider;
  /** Set false to drive the settler by hand (`settler.runOnce()`). */
  startSettler: boolean;
  /** Hands the test the settler the service built. */
  onSettler: (settler: Settler) => void;
}

/** Declined attempts on one order before the next is refused (docs/api.md). */
export const MAX_DECLINES = 5;

/** The payments service: authorizes, captures or voids once per order, over a replica of the orders. */
export const paymentsService = defineService({
  name: 'payments',
  configSchema: paymentsConfigSchema,
  needs: { database: postgres<PaymentsDatabase>(migrations), events: {}, sessions: true },
  build: async (
    { config, db, logger, verifySession, readiness, admission },
    parts: Partial<PaymentsParts>,
  ) => {
    const providerTimeoutMs = config.PAYMENTS_PROVIDER_TIMEOUT_MS;
    // Pools of their own: paying (slow provider calls between queries) and settling can
    // hold only these, never the connections of readiness and the other routes.
    const paymentsDb = createDb<PaymentsDatabase>(config.DATABASE_URL, {
      max: config.PAYMENTS_MAX_IN_FLIGHT,
      applicationName: 'payments-pay',
    });
    const settlerDb = createDb<PaymentsDatabase>(config.DATABASE_URL, {
      max: 2,
      applicationName: 'payments-settler',
    });
    // The sandbox's own side, as a provider's would be: a pool apart from payments' work.
    const sandboxDb = createDb<SandboxTables>(config.DATABASE_URL, {
      max: 2,
      applicationName: 'payments-sandbox',
    });
    const provider = parts.provider ?? createPaymentProvider(config, logger, sandboxDb);
    logger.info({ provider: provider.name }, 'payment provider selected');
    const limits = new PaymentLimits({
      perMinute: config.PAYMENTS_RATE_LIMIT_PER_MINUTE,
      maxInFlightPerUser: config.PAYMENTS_MAX_IN_FLIGHT_PER_USER,
      maxInFlight: config.PAYMENTS_MAX_IN_FLIGHT,
    });
    const app = await buildApp({
      db,
      paymentsDb,
      logger,
      verifySession,
      readiness,
      admission,
      provider,
      providerTimeoutMs,
      limits,
      maxDeclines: MAX_DECLINES,
      replicaWaitMs: config.REPLICA_WAIT_MS,
      feePercent: config.PLATFORM_FEE_PERCENT,
      stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
      stripeConnectWebhookSecret: config.STRIPE_CONNECT_WEBHOOK_SECRET,
      stripeLivemode: /^(sk|rk)_live_/.test(config.STRIPE_SECRET_KEY ?? ''),
      publicUrl: config.PUBLIC_URL,
    });
    registerPoolMetrics(app.metrics, { pay: paymentsDb, settler: settlerDb, sandbox: sandboxDb });
    // Only a provider that keeps a fee has sales waiting for theirs.
    registerSettlementMetrics(app.metrics, db, provider.processingFee ? provider.name : undefined);
    const settler = new Settler({
      db: settlerDb,
      provider,
      providerTimeoutMs,
      logger: logger.child({ component: 'settler' }),
      feePercent: config.PLATFORM_FEE_PERCENT,
      intervalMs: config.PAYMENTS_SETTLE_INTERVAL_MS,
      reconcileAfterMs: config.PAYMENTS_RECONCILE_AFTER_MS,
      backoffMs: config.PAYMENTS_RETRY_BACKOFF_MS,
      maxBackoffMs: 10 * 60_000,
      outcomes: paymentOutcomes(app.metrics),
    });
    parts.onSettler?.(settler);
    if (parts.startSettler !== false) settler.start();
    return {
      app,
      subscriptions: paymentsSubscriptions,
      alsoStop: [
        ['settler', () => settler.stop()],
        [
          'payments pools',
          () => Promise.all([paymentsDb.destroy(), settlerDb.destroy(), sandboxDb.destroy()]),
        ],
      ] as StopStep[],
    };
  },
});
