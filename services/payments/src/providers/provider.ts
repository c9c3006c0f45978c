import { BadRequestError, PaymentRequiredError, ServiceUnavailableError } from '@gittix/common';

export interface AuthorizeRequest {
  amountCents: number;
  currency: 'usd';
  /** A card token from the client (Stripe's `tok_…`, or a `pm_…` PaymentMethod id). */
  token: string;
  /** Same key, same outcome: the provider authorizes at most once per key. */
  idempotencyKey: string;
  description: string;
  /** Carries `paymentId`, by which `findAuthorization` finds it again. */
  metadata: { paymentId: string; orderId: string; userId: string };
}

/** A capture, void or refund of an authorization `authorize` returned. */
export interface SettleRequest {
  providerId: string;
  idempotencyKey: string;
  metadata: Record<string, string>;
}

export interface PayoutRequest {
  /** Our payout's id: `findPayout` finds the provider's payout by it. */
  payoutId: string;
  userId: string;
  amountCents: number;
  /** The seller's connected account (`acct_…`) where the provider pays out to one; else null. */
  destination: string | null;
  idempotencyKey: string;
  metadata: Record<string, string>;
}

/** A seller's payout account as the provider sees it. */
export interface PayoutAccountState {
  accountId: string;
  /** Onboarding is done and money can be sent to it. */
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}

/** Sellers' payout accounts at the provider (Stripe Connect Express). */
export interface ConnectAccounts {
  /** Creates the seller's account; the same key answers with the same account. */
  create(request: {
    userId: string;
    email: string;
    idempotencyKey: string;
  }): Promise<PayoutAccountState>;
  retrieve(accountId: string): Promise<PayoutAccountState>;
  /** A single-use link to the provider's onboarding for the account. */
  onboardingLink(
    accountId: string,
    urls: { refreshUrl: string; returnUrl: string },
  ): Promise<{ url: string; expiresAt: Date }>;
}

/** Where the provider says a payment stands. */
export type ProviderPaymentStatus = 'authorized' | 'captured' | 'voided' | 'refunded';

/** An authorization as the provider holds it now (`retrieve`). */
export interface ProviderPaymentState {
  providerId: string;
  /**
   * `unheld`: it holds no money and never took any (declined, waiting for 3-D Secure);
   * `processing`: its money is in flight (Stripe's `processing`), neither held nor gone.
   */
  status: ProviderPaymentStatus | 'unheld' | 'processing';
  /** The provider's own words, for the logs (Stripe: `canceled (automatic)`). */
  detail: string;
  /** The refund that gave the money back, when `refunded`. */
  refundId?: string | undefined;
}

/**
 * A card processor: authorize (hold) a card, then capture or void the hold.
 * Implementations throw the errors below and nothing else on purpose.
 */
export interface PaymentProvider {
  readonly name: string;
  /**
   * How long after an authorization `findAuthorization` may still miss it (Stripe's
   * search is eventually consistent); 0 when it is found at once.
   */
  readonly lookupLagMs: number;
  authorize(request: AuthorizeRequest): Promise<{ providerId: string }>;
  capture(request: SettleRequest): Promise<void>;
  void(request: SettleRequest): Promise<void>;
  refund(request: SettleRequest): Promise<{ refundId: string }>;
  /** Where authorization `providerId` stands now (after a PaymentStateConflictError). */
  retrieve(providerId: string): Promise<ProviderPaymentState>;
  /**
   * What the processor kept of captured payment `providerId`, in cents (Stripe: the fee
   * of its charge's balance transaction); null while it does not say yet. Absent when
   * the provider keeps nothing (the sandbox): no processing fee is recorded.
   */
  processingFee?(providerId: string): Promise<number | null>;
  /** The authorization made for `paymentId` (its metadata), if the provider has one. */
  findAuthorization(
    paymentId: string,
  ): Promise<{ providerId: string; status: ProviderPaymentStatus } | null>;
  /** Sends a seller's money out (sandbox: nowhere; Stripe: a Connect transfer). */
  payout(request: PayoutRequest): Promise<{ providerId: string }>;
  /** The payout made for `payoutId`, if the provider has one (reconciliation after a crash). */
  findPayout(payoutId: string): Promise<{ providerId: string } | null>;
  /**
   * Present when payouts go to an account the seller connects at the provider
   * (Stripe Connect); absent, payouts need no account (the sandbox).
   */
  readonly connect?: ConnectAccounts | undefined;
}

/** The card was refused: 402, and the buyer may try again (a new attempt). */
export class CardDeclinedError extends PaymentRequiredError {
  constructor(message = 'Your card was declined') {
    super(message);
  }
}

/** The token names no card the provider accepts: the client's mistake, 400 on `token`. */
export class InvalidTokenError extends BadRequestError {
  constructor(message = 'Invalid card token') {
    super(message, 'token');
  }
}

/**
 * The provider refused the attempt's idempotency key: it was first used with other
 * parameters (the browser tokenizes the card afresh on every submit), and what that
 * first call did is not known here yet. 400, nothing recorded: the attempt stays
 * `pending` for a retry with the first card or for reconciliation to settle.
 */
export class AttemptStillConfirmingError extends BadRequestError {
  constructor(
    message = 'An earlier payment attempt for this order is still being confirmed; try again in a minute',
  ) {
    super(message);
  }
}

/**
 * The provider refused a capture, void or refund because of the payment's state at
 * its end: captured, canceled or refunded already (a first answer lost and the key
 * since forgotten: Stripe keeps keys 24 hours), or a hold that expired (Stripe cancels
 * an uncaptured PaymentIntent after 7 days). Asking again can never succeed: the
 * settler looks the payment up (`retrieve`) and records what happened.
 */
export class PaymentStateConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PaymentStateConflictError';
  }
}

/**
 * The provider refuses to refund a charge the cardholder disputes (Stripe:
 * `charge_disputed`). No refund can succeed while the dispute is open, and the
 * chargeback may give the buyer their money back already: a refund on top would pay
 * them twice. Not retried: the settler parks the refund until the dispute closes.
 */
export class ChargeDisputedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChargeDisputedError';
  }
}

/** The provider could not be reached or answered with its own failure: 503, nothing recorded. */
export class ProviderUnavailableError extends ServiceUnavailableError {
  constructor(message = 'Payment provider unavailable, try again later', options?: ErrorOptions) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * Bounds a provider call: past `timeoutMs` the caller gets ProviderUnavailableError.
 * The call itself may still finish at the provider; the idempotency key makes the
 * next attempt find that result instead of charging again.
 */
export async function withProviderTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new ProviderUnavailableError('Payment provider did not answer in time, try again')),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
