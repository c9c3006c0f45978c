import type { Logger } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { PaymentsConfig } from '../config.js';
import type { PaymentProvider } from './provider.js';
import { SandboxProvider } from './sandbox.js';
import { PostgresSandboxStore, type SandboxTables } from './sandbox-store.js';
import { createStripeProvider } from './stripe.js';

export * from './provider.js';
export { SandboxProvider } from './sandbox.js';
export * from './sandbox-store.js';
export { createStripeProvider } from './stripe.js';

/**
 * The provider PAYMENTS_PROVIDER names. The sandbox keeps its side (holds,
 * idempotency results) in tables of its own reached through `sandboxDb`.
 */
export function createPaymentProvider(
  config: PaymentsConfig,
  logger: Logger,
  sandboxDb: Kysely<SandboxTables>,
): PaymentProvider {
  if (config.PAYMENTS_PROVIDER === 'sandbox') {
    return new SandboxProvider(new PostgresSandboxStore(sandboxDb));
  }
  return createStripeProvider({
    // The config schema refuses PAYMENTS_PROVIDER=stripe without a key.
    secretKey: config.STRIPE_SECRET_KEY!,
    apiBase: config.STRIPE_API_BASE,
    timeoutMs: config.PAYMENTS_PROVIDER_TIMEOUT_MS,
    logger,
  });
}
