import { randomUUID } from 'node:crypto';
import {
  CardDeclinedError,
  type ChargeRequest,
  InvalidTokenError,
  type PaymentProvider,
  type RefundRequest,
} from './provider.js';

/** Stripe's test tokens that the sandbox understands. */
const SANDBOX_TOKENS = { success: 'tok_visa', declined: 'tok_chargeDeclined' } as const;

type ChargeOutcome = { providerId: string } | { declined: true };

/**
 * A provider that moves no money and needs no network, for development and tests.
 * Like Stripe, it remembers each idempotency key's outcome: a repeated key replays
 * it instead of charging again. The counters let tests prove "charged once".
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  /** Every call to charge, replays included. */
  chargeCalls = 0;
  /** Charges that actually took money (first successful use of a key). */
  chargesMade = 0;
  refundsMade = 0;
  private readonly charges = new Map<string, ChargeOutcome>();
  private readonly refunds = new Map<string, string>();

  async charge(request: ChargeRequest): Promise<{ providerId: string }> {
    this.chargeCalls++;
    let outcome = this.charges.get(request.idempotencyKey);
    if (!outcome) {
      outcome = this.decide(request.token);
      this.charges.set(request.idempotencyKey, outcome);
      if ('providerId' in outcome) this.chargesMade++;
    }
    if ('declined' in outcome) throw new CardDeclinedError();
    return { providerId: outcome.providerId };
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    let refundId = this.refunds.get(request.idempotencyKey);
    if (!refundId) {
      refundId = `sandbox_re_${randomUUID()}`;
      this.refunds.set(request.idempotencyKey, refundId);
      this.refundsMade++;
    }
    return { refundId };
  }

  private decide(token: string): ChargeOutcome {
    if (token === SANDBOX_TOKENS.success) return { providerId: `sandbox_ch_${randomUUID()}` };
    if (token === SANDBOX_TOKENS.declined) return { declined: true };
    // Not remembered, as Stripe keeps no result for a request it rejects as invalid.
    throw new InvalidTokenError('Unknown test token');
  }
}
