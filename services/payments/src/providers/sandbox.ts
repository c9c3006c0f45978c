import { randomUUID } from 'node:crypto';
import {
  type AuthorizeRequest,
  CardDeclinedError,
  InvalidTokenError,
  type PaymentProvider,
  type PayoutRequest,
  type SettleRequest,
} from './provider.js';
import { MemorySandboxStore, type SandboxHold, type SandboxStore } from './sandbox-store.js';

/** Where the sandbox files the payout it made for one of our payouts. */
const payoutOfKey = (payoutId: string) => `payout_of_${payoutId}`;

/** Stripe's test tokens that the sandbox understands. */
const SANDBOX_TOKENS = { success: 'tok_visa', declined: 'tok_chargeDeclined' } as const;
const DECLINED = 'declined';

/**
 * A provider that moves no money and needs no network, for development and tests.
 * It models Stripe's manual-capture PaymentIntents: an authorization is a hold
 * that is later captured or voided. Like Stripe, it remembers each idempotency
 * key's outcome (in its store): a repeated key replays it. The counters (this
 * instance's) let tests prove "charged once".
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

  constructor(readonly store: SandboxStore = new MemorySandboxStore()) {}

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
          };
    const outcome = await this.store.remember(request.idempotencyKey, fresh, hold);
    if (outcome === fresh && hold) this.chargesMade++;
    if (outcome === DECLINED) throw new CardDeclinedError();
    return { providerId: outcome };
  }

  async capture(request: SettleRequest): Promise<void> {
    if (await this.store.move(request.providerId, ['authorized'], 'captured')) {
      this.capturesMade++;
      return;
    }
    const hold = await this.hold(request.providerId);
    if (hold.status !== 'captured') throw new Error(`Cannot capture a ${hold.status} payment`);
  }

  async void(request: SettleRequest): Promise<void> {
    if (await this.store.move(request.providerId, ['authorized'], 'voided')) {
      this.voidsMade++;
      return;
    }
    const hold = await this.hold(request.providerId);
    if (hold.status !== 'voided') throw new Error(`Cannot void a ${hold.status} payment`);
  }

  async refund(request: SettleRequest): Promise<{ refundId: string }> {
    const hold = await this.hold(request.providerId);
    const fresh = `sandbox_re_${randomUUID()}`;
    if (hold.status !== 'captured' && hold.status !== 'refunded') {
      throw new Error(`Cannot refund a ${hold.status} payment`);
    }
    const refundId = await this.store.remember(request.idempotencyKey, fresh);
    if (refundId === fresh) {
      await this.store.move(request.providerId, ['captured'], 'refunded');
      this.refundsMade++;
    }
    return { refundId };
  }

  async findAuthorization(paymentId: string) {
    const hold = await this.store.holdOfPayment(paymentId);
    return hold ? { providerId: hold.providerId, status: hold.status } : null;
  }

  async payout(request: PayoutRequest): Promise<{ providerId: string }> {
    const fresh = `sandbox_po_${randomUUID()}`;
    const providerId = await this.store.remember(request.idempotencyKey, fresh);
    if (providerId === fresh) {
      this.payoutsMade++;
      // As Stripe files a transfer under its transfer_group: findPayout finds it by the
      // payout's id whatever its key (a payout cut by refunds is sent under a new one).
      await this.store.remember(payoutOfKey(request.payoutId), providerId);
    }
    return { providerId };
  }

  /** The money the sandbox sent for our payout `payoutId`, under whichever key. */
  async findPayout(payoutId: string) {
    const providerId = await this.store.recall(payoutOfKey(payoutId));
    return providerId === undefined ? null : { providerId };
  }

  /** Every authorization the sandbox holds, with its state. */
  holds(): Promise<SandboxHold[]> {
    return this.store.holds();
  }

  private async hold(providerId: string): Promise<SandboxHold> {
    const hold = await this.store.hold(providerId);
    if (!hold) throw new Error(`No such sandbox payment: ${providerId}`);
    return hold;
  }
}
