import type { Logger } from '@gittix/common';
import type { PaymentsConfig } from '../config.js';
import type { PaymentProvider } from './provider.js';
import { SandboxProvider } from './sandbox.js';
import { createStripeProvider } from './stripe.js';

export * from './provider.js';
export { SandboxProvider } from './sandbox.js';
export { createStripeProvider } from './stripe.js';

/** The provider PAYMENTS_PROVIDER names. */
export function createPaymentProvider(config: PaymentsConfig, logger: Logger): PaymentProvider {
  if (config.PAYMENTS_PROVIDER === 'sandbox') return new SandboxProvider();
  return createStripeProvider({
    // The config schema refuses PAYMENTS_PROVIDER=stripe without a key.
    secretKey: config.STRIPE_SECRET_KEY!,
    apiBase: config.STRIPE_API_BASE,
    timeoutMs: config.PAYMENTS_PROVIDER_TIMEOUT_MS,
    logger,
  });
}
