import { randomUUID } from 'node:crypto';
import {
  type AuthorizeRequest,
  CardDeclinedError,
  InvalidTokenError,
  type PaymentProvider,
  type PayoutRequest,
  type ProviderPaymentStatus,
  type SettleRequest,
} from './provider.js';

/** Stripe's test tokens that the sandbox understands. */
const SANDBOX_TOKENS = { success: 'tok_visa', declined: 'tok_chargeDeclined' } as const;

type Outcome = { providerId: string } | { declined: true };

interface Hold {
  providerId: string;
  paymentId: string;
  amountCents: number;
  status: ProviderPaymentStatus;
}

/**
 * A provider that moves no money and needs no network, for development and tests.
 * It models Stripe's manual-capture PaymentIntents: an authorization is a hold
 * that is later captured or voided. Like Stripe, it remembers each idempotency
 * key's outcome: a repeated key replays it. The counters let tests prove "charged once".
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  /** Every call to authorize, replays included. */
  chargeCalls = 0;
  /** Authorizations actually made (first successful use of a key). */
  chargesMade = 0;
  capturesMade = 0;
  voidsMade = 0;
  refundsMade = 0;
  payoutsMade = 0;
  readonly holds = new Map<string, Hold>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly refunds = new Map<string, string>();
  private readonly payouts = new Map<string, string>();

  async authorize(request: AuthorizeRequest): Promise<{ providerId: string }> {
    this.chargeCalls++;
    let outcome = this.outcomes.get(request.idempotencyKey);
    if (!outcome) {
      outcome = this.decide(request);
      this.outcomes.set(request.idempotencyKey, outcome);
    }
    if ('declined' in outcome) throw new CardDeclinedError();
    return { providerId: outcome.providerId };
  }

  async capture(request: SettleRequest): Promise<void> {
    const hold = this.hold(request.providerId);
    if (hold.status === 'captured') return;
    if (hold.status !== 'authorized') throw new Error(`Cannot capture a ${hold.status} payment`);
    hold.status = 'captured';
    this.capturesMade++;
  }

  async void(request: SettleRequest): Promise<void> {
    const hold = this.hold(request.providerId);
    if (hold.status === 'voided') return;
    if (hold.status !== 'authorized') throw new Error(`Cannot void a ${hold.status} payment`);
    hold.status = 'voided';
    this.voidsMade++;
  }

  async refund(request: SettleRequest): Promise<{ refundId: string }> {
    let refundId = this.refunds.get(request.idempotencyKey);
    if (!refundId) {
      const hold = this.hold(request.providerId);
      if (hold.status !== 'captured') throw new Error(`Cannot refund a ${hold.status} payment`);
      hold.status = 'refunded';
      refundId = `sandbox_re_${randomUUID()}`;
      this.refunds.set(request.idempotencyKey, refundId);
      this.refundsMade++;
    }
    return { refundId };
  }

  async findAuthorization(paymentId: string) {
    for (const hold of this.holds.values()) {
      if (hold.paymentId === paymentId) return { providerId: hold.providerId, status: hold.status };
    }
    return null;
  }

  async payout(request: PayoutRequest): Promise<{ providerId: string }> {
    let providerId = this.payouts.get(request.idempotencyKey);
    if (!providerId) {
      providerId = `sandbox_po_${randomUUID()}`;
      this.payouts.set(request.idempotencyKey, providerId);
      this.payoutsMade++;
    }
    return { providerId };
  }

  /** Holds that are captured: money actually taken from buyers. */
  capturedHolds(): Hold[] {
    return [...this.holds.values()].filter((hold) => hold.status === 'captured');
  }

  private hold(providerId: string): Hold {
    const hold = this.holds.get(providerId);
    if (!hold) throw new Error(`No such sandbox payment: ${providerId}`);
    return hold;
  }

  private decide(request: AuthorizeRequest): Outcome {
    if (request.token === SANDBOX_TOKENS.success) {
      const providerId = `sandbox_pi_${randomUUID()}`;
      this.holds.set(providerId, {
        providerId,
        paymentId: request.metadata.paymentId,
        amountCents: request.amountCents,
        status: 'authorized',
      });
      this.chargesMade++;
      return { providerId };
    }
    if (request.token === SANDBOX_TOKENS.declined) return { declined: true };
    // Not remembered, as Stripe keeps no result for a request it rejects as invalid.
    throw new InvalidTokenError('Unknown test token');
  }
}
