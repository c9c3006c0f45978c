import type { Logger } from '@gittix/common';
import Stripe from 'stripe';
import {
  CardDeclinedError,
  type ChargeRequest,
  InvalidTokenError,
  type PaymentProvider,
  ProviderUnavailableError,
  type RefundRequest,
} from './provider.js';

export interface StripeProviderOptions {
  secretKey: string;
  /** Sends requests to this origin instead of api.stripe.com (a local stand-in). */
  apiBase?: string | undefined;
  timeoutMs: number;
  /** SDK retries of connection failures and 5xx, with the same idempotency key. */
  maxNetworkRetries?: number;
  logger: Logger;
}

function hostSettings(apiBase: string | undefined) {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: url.port || (protocol === 'http' ? 80 : 443),
    protocol,
  } as const;
}

/** A `pm_…` id is an existing PaymentMethod; anything else is a card token (`tok_…`). */
function paymentMethodOf(token: string): Partial<Stripe.PaymentIntentCreateParams> {
  if (token.startsWith('pm_')) return { payment_method: token };
  // The SDK's types omit `card`, which the API accepts for tokens made by Stripe.js.
  const data = {
    type: 'card',
    card: { token },
  } as Stripe.PaymentIntentCreateParams.PaymentMethodData;
  return { payment_method_data: data };
}

/** Charges through Stripe PaymentIntents, created and confirmed in one call. */
export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const stripe = new Stripe(options.secretKey, {
    timeout: options.timeoutMs,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    appInfo: { name: 'GitTix payments' },
    ...hostSettings(options.apiBase),
  });

  /** Maps Stripe's errors onto the provider contract; anything else is our bug. */
  function translate(error: unknown): unknown {
    if (error instanceof Stripe.errors.StripeCardError) return new CardDeclinedError(error.message);
    if (error instanceof Stripe.errors.StripeIdempotencyError) {
      // The attempt's key was first used with other card details and its outcome stands.
      return new InvalidTokenError(
        'An earlier payment attempt for this order used different card details; retry with the same card',
      );
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError && isTokenProblem(error)) {
      return new InvalidTokenError(error.message);
    }
    if (
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeAPIError ||
      error instanceof Stripe.errors.StripeRateLimitError ||
      error instanceof Stripe.errors.StripeAuthenticationError ||
      error instanceof Stripe.errors.StripePermissionError
    ) {
      options.logger.warn({ err: error, stripeRequestId: error.requestId }, 'Stripe unavailable');
      return new ProviderUnavailableError(undefined, { cause: error });
    }
    return error;
  }

  return {
    name: 'stripe',

    async charge(request: ChargeRequest) {
      let intent: Stripe.PaymentIntent;
      try {
        intent = await stripe.paymentIntents.create(
          {
            amount: request.amountCents,
            currency: request.currency,
            confirm: true,
            // Card only, confirmed server-side: nothing may redirect the buyer.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            ...paymentMethodOf(request.token),
            description: request.description,
            metadata: request.metadata,
          },
          { idempotencyKey: request.idempotencyKey },
        );
      } catch (error) {
        throw translate(error);
      }
      // e.g. `requires_action` (3-D Secure): this checkout cannot complete it, so no money moved.
      if (intent.status !== 'succeeded') {
        throw new CardDeclinedError(
          'Your card needs an authentication step this checkout does not support',
        );
      }
      return { providerId: intent.id };
    },

    async refund(request: RefundRequest) {
      try {
        const refund = await stripe.refunds.create(
          { payment_intent: request.providerId, metadata: request.metadata },
          { idempotencyKey: request.idempotencyKey },
        );
        return { refundId: refund.id };
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

function isTokenProblem(error: InstanceType<typeof Stripe.errors.StripeInvalidRequestError>) {
  return (
    error.param?.startsWith('payment_method') === true ||
    ['resource_missing', 'token_already_used', 'token_in_use'].includes(error.code ?? '')
  );
}
