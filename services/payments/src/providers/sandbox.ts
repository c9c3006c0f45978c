import { randomUUID } from 'node:crypto';
import {
  type AuthorizeRequest,
  CardDeclinedError,
  ChargeDisputedError,
  InvalidTokenError,
  type PaymentProvider,
  PaymentStateConflictError,
  type PayoutRequest,
  type ProviderPaymentState,
  type SettleRequest,
} from './provider.js';
import { MemorySandboxStore, type SandboxHold, type SandboxStore } from './sandbox-store.js';

/** Where the sandbox files the payout it made for one of our payouts. */
const payoutOfKey = (payoutId: string) => `payout_of_${payoutId}`;
/** Where it files the refund of an authorization, as Stripe lists a charge's refunds. */
const refundOfKey = (providerId: string) => `refund_of_${providerId}`;
/** Where it files a cardholder's dispute of a capture (`dispute`), and its being won. */
const disputeOfKey = (providerId: string) => `dispute_of_${providerId}`;
const disputeWonKey = (providerId: string) => `dispute_won_${providerId}`;

/** Stripe's test tokens that the sandbox understands. */
const SANDBOX_TOKENS = { success: 'tok_visa', declined: 'tok_chargeDeclined' } as const;
const DECLINED = 'declined';
const HOUR_MS = 3_600_000;

export interface SandboxOptions {
  /** How long a key's result is kept (Stripe: 24 hours); a later repeat is a new request. */
  keyRetentionMs?: number;
  /** How long an uncaptured hold lasts before it is released (Stripe: 7 days). */
  holdLifetimeMs?: number;
}

/**
 * A provider that moves no money and needs no network, for development and tests.
 * It models Stripe's manual-capture PaymentIntents: an authorization is a hold
 * that is later captured or voided, and released by itself after `holdLifetimeMs`.
 * Like Stripe, it remembers each idempotency key's outcome (in its store) for
 * `keyRetentionMs`: a repeated key replays it, a forgotten one is a new request, and
 * a capture, void or refund of a payment already past that state is refused
 * (PaymentStateConflictError), as is a refund of a capture the cardholder disputes
 * (ChargeDisputedError, after `dispute`). Tests move its clock (`advanceClock`). The
 * counters (this instance's) let tests prove "charged once".
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly lookupLagMs = 0;
  /** Every call to authorize, replays included. */
  chargeCalls = 0;
  /** Authorizations actually made (first successful use of a key). */
  chargesMade = 0;
  capturesMade = 0;
  voidsMade = 0;
  refundsMade = 0;
  payoutsMade = 0;
  private readonly keyRetentionMs: number;
  private readonly holdLifetimeMs: number;
  private clockOffsetMs = 0;

  constructor(
    readonly store: SandboxStore = new MemorySandboxStore(),
    options: SandboxOptions = {},
  ) {
    this.keyRetentionMs = options.keyRetentionMs ?? 24 * HOUR_MS;
    this.holdLifetimeMs = options.holdLifetimeMs ?? 7 * 24 * HOUR_MS;
  }

  /** Moves the sandbox's clock forward: keys are forgotten and holds released as time passes. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  async authorize(request: AuthorizeRequest): Promise<{ providerId: string }> {
    this.chargeCalls++;
    const token = request.token;
    if (token !== SANDBOX_TOKENS.success && token !== SANDBOX_TOKENS.declined) {
      // Not remembered, as Stripe keeps no result for a request it rejects as invalid.
      throw new InvalidTokenError('Unknown test token');
    }
    const fresh = token === SANDBOX_TOKENS.success ? `sandbox_pi_${randomUUID()}` : DECLINED;
    const hold: SandboxHold | undefined =
      fresh === DECLINED
        ? undefined
        : {
            providerId: fresh,
            paymentId: request.metadata.paymentId,
            amountCents: request.amountCents,
            status: 'authorized',
            authorizedAt: this.now(),
          };
    const outcome = await this.store.remember(request.idempotencyKey, fresh, {
      ...this.keyTerms(),
      hold,
    });
    if (outcome === fresh && hold) this.chargesMade++;
    if (outcome === DECLINED) throw new CardDeclinedError();
    return { providerId: outcome };
  }

  async capture(request: SettleRequest): Promise<void> {
    await this.settle(request, 'captured', () => this.capturesMade++);
  }

  async void(request: SettleRequest): Promise<void> {
    await this.settle(request, 'voided', () => this.voidsMade++);
  }

  async refund(request: SettleRequest): Promise<{ refundId: string }> {
    const replayed = await this.store.recall(request.idempotencyKey, this.forgetBefore());
    if (replayed !== undefined) return { refundId: replayed };
    const hold = await this.hold(request.providerId);
    if (hold.status === 'captured' && (await this.disputed(hold.providerId))) {
      throw new ChargeDisputedError(`Charge of ${hold.providerId} is disputed; cannot refund it`);
    }
    if (!(await this.store.move(request.providerId, ['captured'], 'refunded'))) {
      throw new PaymentStateConflictError(`Cannot refund a ${hold.status} payment`);
    }
    this.refundsMade++;
    const refundId = `sandbox_re_${randomUUID()}`;
    await this.store.remember(request.idempotencyKey, refundId, this.keyTerms());
    // As Stripe finds a charge's refunds: retrieve names it whatever the key.
    await this.store.remember(refundOfKey(request.providerId), refundId, { at: this.now() });
    return { refundId };
  }

  /**
   * The cardholder disputes the captured payment `providerId` (a chargeback): the
   * sandbox refuses to refund it, as Stripe does (`charge_disputed`), until the
   * platform wins the dispute (`winDispute`). For tests.
   */
  async dispute(providerId: string): Promise<void> {
    const hold = await this.hold(providerId);
    if (hold.status !== 'captured') throw new Error(`Cannot dispute a ${hold.status} payment`);
    await this.store.remember(disputeOfKey(providerId), `sandbox_dp_${randomUUID()}`, {
      at: this.now(),
    });
  }

  /** The dispute of `providerId` closes in the platform's favour: it can be refunded again. */
  async winDispute(providerId: string): Promise<void> {
    await this.store.remember(disputeWonKey(providerId), 'won', { at: this.now() });
  }

  async retrieve(providerId: string): Promise<ProviderPaymentState> {
    const hold = await this.hold(providerId);
    const refundId =
      hold.status === 'refunded' ? await this.store.recall(refundOfKey(providerId)) : undefined;
    return { providerId, status: hold.status, detail: hold.status, refundId };
  }

  async findAuthorization(paymentId: string) {
    await this.store.expire(this.authorizedBefore());
    const hold = await this.store.holdOfPayment(paymentId);
    return hold ? { providerId: hold.providerId, status: hold.status } : null;
  }

  async payout(request: PayoutRequest): Promise<{ providerId: string }> {
    const fresh = `sandbox_po_${randomUUID()}`;
    const providerId = await this.store.remember(request.idempotencyKey, fresh, this.keyTerms());
    if (providerId === fresh) {
      this.payoutsMade++;
      // As Stripe files a transfer under its transfer_group: findPayout finds it by the
      // payout's id whatever its key (a payout cut by refunds is sent under a new one).
      await this.store.remember(payoutOfKey(request.payoutId), providerId, { at: this.now() });
    }
    return { providerId };
  }

  /** The money the sandbox sent for our payout `payoutId`, under whichever key. */
  async findPayout(payoutId: string) {
    const providerId = await this.store.recall(payoutOfKey(payoutId));
    return providerId === undefined ? null : { providerId };
  }

  /** Every authorization the sandbox holds, with its state. */
  async holds(): Promise<SandboxHold[]> {
    await this.store.expire(this.authorizedBefore());
    return this.store.holds();
  }

  /**
   * Captures or voids an authorized hold once: a repeat of the key while it is kept
   * replays the success; otherwise a hold no longer authorized is refused, as Stripe
   * refuses a PaymentIntent in an unexpected state.
   */
  private async settle(request: SettleRequest, to: 'captured' | 'voided', made: () => void) {
    if ((await this.store.recall(request.idempotencyKey, this.forgetBefore())) !== undefined) {
      return;
    }
    const hold = await this.hold(request.providerId);
    if (!(await this.store.move(request.providerId, ['authorized'], to))) {
      const verb = to === 'captured' ? 'capture' : 'void';
      throw new PaymentStateConflictError(`Cannot ${verb} a ${hold.status} payment`);
    }
    made();
    await this.store.remember(request.idempotencyKey, to, this.keyTerms());
  }

  /** The hold, released first if it outlived its lifetime. */
  private async hold(providerId: string): Promise<SandboxHold> {
    await this.store.expire(this.authorizedBefore(), providerId);
    const hold = await this.store.hold(providerId);
    if (!hold) throw new Error(`No such sandbox payment: ${providerId}`);
    return hold;
  }

  /** A dispute of the payment is open: the cardholder's, not yet won by the platform. */
  private async disputed(providerId: string): Promise<boolean> {
    return (
      (await this.store.recall(disputeOfKey(providerId))) !== undefined &&
      (await this.store.recall(disputeWonKey(providerId))) === undefined
    );
  }

  private now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  private forgetBefore(): Date {
    return new Date(this.now().getTime() - this.keyRetentionMs);
  }

  private authorizedBefore(): Date {
    return new Date(this.now().getTime() - this.holdLifetimeMs);
  }

  private keyTerms() {
    return { at: this.now(), forgetBefore: this.forgetBefore() };
  }
}
