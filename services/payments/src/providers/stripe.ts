import type { Logger } from '@gittix/common';
import Stripe from 'stripe';
import {
  AttemptStillConfirmingError,
  type AuthorizeRequest,
  CardDeclinedError,
  ChargeDisputedError,
  type ConnectAccounts,
  InvalidTokenError,
  type PaymentProvider,
  PaymentStateConflictError,
  type PayoutAccountState,
  type PayoutRequest,
  type ProviderPaymentState,
  type ProviderPaymentStatus,
  ProviderUnavailableError,
  type SettleRequest,
} from './provider.js';

export interface StripeProviderOptions {
  secretKey: string;
  /** Sends requests to this origin instead of api.stripe.com (a local stand-in). */
  apiBase?: string | undefined;
  /** The whole call, its SDK retries included (retryPlan). */
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

/**
 * Stripe's codes (`invalid_request_error`) for a capture, cancel or refund refused
 * because of where the PaymentIntent or its charge stands: captured, canceled or
 * refunded already, or an authorization that expired. No retry changes them.
 * Transient refusals are other classes: StripeRateLimitError (429, `lock_timeout`
 * included), StripeAPIError (5xx), StripeConnectionError.
 */
const REFUSED_FOR_STATE = new Set([
  'payment_intent_unexpected_state',
  'charge_already_captured',
  'charge_already_refunded',
  'charge_expired_for_capture',
  'capture_charge_authorization_expired',
]);

/**
 * Stripe's codes for a refund refused because the cardholder disputes the charge:
 * `charge_disputed` ("Charge ch_… has been charged back; cannot issue a refund") and
 * `refund_disputed_payment` (listed by the SDK next to it; by its name the same refusal,
 * and parking a refund until the dispute closes is the safe reading of either).
 */
const REFUSED_FOR_DISPUTE = new Set(['charge_disputed', 'refund_disputed_payment']);

/** A try shorter than this would time out calls Stripe answers normally. */
const MIN_TRY_MS = 1_000;

/**
 * The SDK's retries and each try's timeout, so that every try and the SDK's waits
 * between them fit in `timeoutMs`. The caller gives up at `timeoutMs`
 * (withProviderTimeout) and its claim on the row runs out soon after; a retry the SDK
 * still sent later could reach Stripe after another request had taken the row over (a
 * payout cut for a refund, under a new idempotency key), and the money would move
 * twice. The SDK waits before its retry number n (from 0) at most
 * max(initial, min(initial × 2^(n−1), max)) (its backoff). Fewer retries when the
 * tries would be shorter than MIN_TRY_MS; none leaves the whole timeout to one try.
 */
export function retryPlan(
  timeoutMs: number,
  retries: number,
  waits: { initialMs: number; maxMs: number },
): { retries: number; perTryMs: number } {
  for (let planned = retries; planned > 0; planned--) {
    let waiting = 0;
    for (let n = 0; n < planned; n++) {
      waiting += Math.max(waits.initialMs, Math.min(waits.initialMs * 2 ** (n - 1), waits.maxMs));
    }
    const perTryMs = Math.floor((timeoutMs - waiting) / (planned + 1));
    if (perTryMs >= MIN_TRY_MS) return { retries: planned, perTryMs };
  }
  return { retries: 0, perTryMs: timeoutMs };
}

/**
 * stripe-node's backoff between retries (its getInitialNetworkRetryDelay and
 * getMaxNetworkRetryDelay, in seconds there; a test holds these to the SDK's): retryPlan's.
 */
export const STRIPE_SDK_RETRY_WAITS = { initialMs: 500, maxMs: 5_000 };

/** Authorizes through Stripe PaymentIntents (manual capture), created and confirmed in one call. */
export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const plan = retryPlan(options.timeoutMs, options.maxNetworkRetries ?? 2, STRIPE_SDK_RETRY_WAITS);
  const stripe = new Stripe(options.secretKey, {
    timeout: plan.perTryMs,
    maxNetworkRetries: plan.retries,
    appInfo: { name: 'GitTix payments' },
    ...hostSettings(options.apiBase),
  });

  /** Maps Stripe's errors onto the provider contract; anything else is our bug. */
  function translate(error: unknown): unknown {
    if (error instanceof Stripe.errors.StripeCardError) {
      options.logger.info(
        {
          stripeRequestId: error.requestId,
          stripeCode: error.code,
          declineCode: error.decline_code,
        },
        'Stripe declined the card',
      );
      return new CardDeclinedError(buyerMessage(error));
    }
    if (error instanceof Stripe.errors.StripeIdempotencyError) {
      // The key's first request had other parameters (another card token), or is still
      // in flight: its outcome is unknown here, so the attempt is neither a decline nor gone.
      options.logger.warn(
        { stripeRequestId: error.requestId },
        'Stripe refused a reused idempotency key',
      );
      return new AttemptStillConfirmingError();
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError && isTokenProblem(error)) {
      return new InvalidTokenError(buyerMessage(error));
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

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * A capture, void or refund: a refusal for the PaymentIntent's state (REFUSED_FOR_STATE)
   * is a PaymentStateConflictError, a refund refused for a dispute (REFUSED_FOR_DISPUTE) a
   * ChargeDisputedError; no retry changes either. The rest as `call`.
   */
  async function settleCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeInvalidRequestError &&
        REFUSED_FOR_DISPUTE.has(error.code ?? '')
      ) {
        options.logger.warn(
          { stripeRequestId: error.requestId, stripeCode: error.code },
          'Stripe refused the refund: the charge is disputed',
        );
        throw new ChargeDisputedError(error.message, { cause: error });
      }
      if (
        error instanceof Stripe.errors.StripeInvalidRequestError &&
        REFUSED_FOR_STATE.has(error.code ?? '')
      ) {
        options.logger.warn(
          { stripeRequestId: error.requestId, stripeCode: error.code },
          'Stripe refused the action for the state of the PaymentIntent',
        );
        throw new PaymentStateConflictError(error.message, { cause: error });
      }
      throw translate(error);
    }
  }

  /**
   * Connect calls (accounts, links, transfers) carry no card: whatever Stripe refuses
   * (a key still in flight, Connect not set up, the platform balance short) is for
   * the operator, and the caller sees 503; a payout stays pending and is retried.
   */
  async function connectCall<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Stripe.errors.StripeError) {
        const transient = translate(error);
        if (transient instanceof ProviderUnavailableError) throw transient;
        options.logger.error(
          { err: error, stripeRequestId: error.requestId, stripeCode: error.code },
          `Stripe refused ${what}`,
        );
        throw new ProviderUnavailableError(`Stripe refused ${what}, try again later`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  const connect: ConnectAccounts = {
    async create(request) {
      const account = await connectCall('to create the payout account', () =>
        stripe.accounts.create(
          {
            type: 'express',
            email: request.email,
            capabilities: { transfers: { requested: true } },
            metadata: { userId: request.userId },
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      return accountState(account);
    },
    async retrieve(accountId) {
      const account = await connectCall('to show the payout account', () =>
        stripe.accounts.retrieve(accountId),
      );
      return accountState(account);
    },
    async onboardingLink(accountId, urls) {
      const link = await connectCall('an onboarding link', () =>
        stripe.accountLinks.create({
          account: accountId,
          type: 'account_onboarding',
          refresh_url: urls.refreshUrl,
          return_url: urls.returnUrl,
        }),
      );
      return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
    },
  };

  return {
    name: 'stripe',
    // Stripe: search "is not suitable for read-after-write flows"; new objects can take
    // up to a minute to show up. Twice that before an attempt counts as never made.
    lookupLagMs: 2 * 60_000,

    async authorize(request: AuthorizeRequest) {
      const intent = await call(() =>
        stripe.paymentIntents.create(
          {
            amount: request.amountCents,
            currency: request.currency,
            confirm: true,
            // Hold the money now, take it once the order is complete.
            capture_method: 'manual',
            // Card only, confirmed server-side: nothing may redirect the buyer.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            ...paymentMethodOf(request.token),
            description: request.description,
            metadata: request.metadata,
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      // e.g. `requires_action` (3-D Secure): this checkout cannot complete it, so no money moved.
      if (intent.status !== 'requires_capture' && intent.status !== 'succeeded') {
        throw new CardDeclinedError(
          'Your card needs an authentication step this checkout does not support',
        );
      }
      return { providerId: intent.id };
    },

    async capture(request: SettleRequest) {
      await settleCall(() =>
        stripe.paymentIntents.capture(
          request.providerId,
          { metadata: request.metadata },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
    },

    async void(request: SettleRequest) {
      await settleCall(() =>
        stripe.paymentIntents.cancel(
          request.providerId,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
    },

    async refund(request: SettleRequest) {
      const refund = await settleCall(() =>
        stripe.refunds.create(
          { payment_intent: request.providerId, metadata: request.metadata },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      return { refundId: refund.id };
    },

    async retrieve(providerId: string): Promise<ProviderPaymentState> {
      // A charge's refunds are listed only when asked for (API 2022-11-15 and later).
      const intent = await call(() =>
        stripe.paymentIntents.retrieve(providerId, { expand: ['latest_charge.refunds'] }),
      );
      const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
      const reason = intent.cancellation_reason ? ` (${intent.cancellation_reason})` : '';
      const detail = `${intent.status}${reason}`;
      // Only a full refund gives the whole sale back (a partial one is the webhook's case).
      if (intent.status === 'succeeded' && charge?.refunded) {
        return { providerId, status: 'refunded', detail, refundId: charge.refunds?.data[0]?.id };
      }
      if (intent.status === 'processing') return { providerId, status: 'processing', detail };
      return { providerId, status: statusOf(intent) ?? 'unheld', detail };
    },

    async processingFee(providerId: string) {
      // Stripe makes the charge's balance transaction as it captures it: its fee is what
      // Stripe keeps of the sale (processing, plus any currency conversion).
      const intent = await call(() =>
        stripe.paymentIntents.retrieve(providerId, {
          expand: ['latest_charge.balance_transaction'],
        }),
      );
      const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
      const funds = charge?.balance_transaction;
      if (!funds || typeof funds === 'string') return null;
      if (funds.currency !== 'usd') {
        // The ledger is in US cents; an account settling in another currency needs a rate.
        throw new Error(
          `The charge of ${providerId} settled in ${funds.currency}: its fee cannot be posted in usd`,
        );
      }
      return funds.fee;
    },

    async findAuthorization(paymentId: string) {
      const found = await call(() =>
        stripe.paymentIntents.search({ query: `metadata['paymentId']:'${paymentId}'`, limit: 1 }),
      );
      const intent = found.data[0];
      if (!intent) return null;
      const status = statusOf(intent);
      return status ? { providerId: intent.id, status } : null;
    },

    async payout(request: PayoutRequest) {
      const destination = request.destination;
      if (!destination) throw new Error("A Stripe payout needs the seller's connected account");
      const transfer = await connectCall('the payout transfer', () =>
        stripe.transfers.create(
          {
            amount: request.amountCents,
            currency: 'usd',
            destination,
            // findPayout lists transfers by it: a lookup that is not eventually consistent.
            transfer_group: request.payoutId,
            metadata: request.metadata,
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      return { providerId: transfer.id };
    },

    async findPayout(payoutId: string) {
      const found = await connectCall('the payout lookup', () =>
        stripe.transfers.list({ transfer_group: payoutId, limit: 1 }),
      );
      const transfer = found.data[0];
      return transfer ? { providerId: transfer.id } : null;
    },

    connect,
  };
}

/** What payments keeps of a Connect account. */
export function accountState(account: Stripe.Account): PayoutAccountState {
  return {
    accountId: account.id,
    payoutsEnabled: account.payouts_enabled === true,
    detailsSubmitted: account.details_submitted === true,
  };
}

/** A PaymentIntent's status in this service's terms; null: it holds no money. */
export function statusOf(intent: Stripe.PaymentIntent): ProviderPaymentStatus | null {
  if (intent.status === 'requires_capture') return 'authorized';
  if (intent.status === 'succeeded') return 'captured';
  if (intent.status === 'canceled') return 'voided';
  return null;
}

/**
 * Stripe's own words for the buyer. Since stripe 23.2 an error's `message` starts with
 * `[<request id>] `: that is for support (it is logged), not for the person paying.
 */
function buyerMessage(error: InstanceType<typeof Stripe.errors.StripeError>): string {
  const prefix = error.requestId ? `[${error.requestId}] ` : '';
  return prefix && error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
}

function isTokenProblem(error: InstanceType<typeof Stripe.errors.StripeInvalidRequestError>) {
  return (
    error.param?.startsWith('payment_method') === true ||
    ['resource_missing', 'token_already_used', 'token_in_use'].includes(error.code ?? '')
  );
}
