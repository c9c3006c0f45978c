import { waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizeRequest,
  ProviderUnavailableError,
  SandboxProvider,
} from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

/**
 * The sandbox with Stripe's lookup: a PaymentIntent shows up in search only
 * `lookupLagMs` after it was made. Authorizations can fail before reaching the
 * provider, or after it authorized (the answer lost to a timeout).
 */
class LaggingLookups extends RecordingProvider {
  lag = 60_000;
  /** paymentId → when the provider first authorized it. */
  readonly authorizedAt = new Map<string, number>();
  /** Orders whose next authorization never reaches the provider. */
  readonly unreachable = new Set<string>();
  /** Orders whose next authorization's answer is lost after the provider authorized. */
  readonly answerLost = new Set<string>();
  constructor(readonly sandbox = new SandboxProvider()) {
    super(sandbox);
  }
  override get lookupLagMs() {
    return this.lag;
  }
  override async authorize(request: AuthorizeRequest) {
    const { orderId, paymentId } = request.metadata;
    if (this.unreachable.delete(orderId)) throw new ProviderUnavailableError();
    const result = await super.authorize(request);
    if (!this.authorizedAt.has(paymentId)) this.authorizedAt.set(paymentId, Date.now());
    if (this.answerLost.delete(orderId)) throw new ProviderUnavailableError();
    return result;
  }
  override async findAuthorization(paymentId: string) {
    const at = this.authorizedAt.get(paymentId);
    if (at === undefined || Date.now() - at < this.lag) return null;
    return super.findAuthorization(paymentId);
  }
}

describe("reconciliation and the provider's lookup lag", () => {
  let fx: PaymentsFixture;
  const provider = new LaggingLookups();

  beforeAll(async () => {
    fx = await createPaymentsFixture({ provider, env: { PAYMENTS_RECONCILE_AFTER_MS: '50' } });
  });
  afterAll(() => fx?.close());

  it('when an old attempt is retried, authorized, and its answer lost, then reconciliation does not drop it before the lookup can show it', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    // The first try never reached the provider; the buyer comes back minutes later.
    provider.unreachable.add(order.id);
    const first = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(first.statusCode).toBe(503);
    const [attempt] = await fx.db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .execute();
    await sql`UPDATE payments SET created_at = now() - interval '5 minutes',
      updated_at = now() - interval '5 minutes' WHERE id = ${attempt!.id}`.execute(fx.db);

    // The retry repeats the attempt's key: the provider authorizes, the answer is lost.
    provider.answerLost.add(order.id);
    const retry = await fx.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' });
    expect(retry.statusCode).toBe(503);
    expect((await provider.sandbox.findAuthorization(attempt!.id))?.status).toBe('authorized');
    const retriedAt = (await fx.paymentRow(attempt!.id)).updated_at;

    // The reconciler looks it up (the lookup lags: not found yet).
    await waitFor(
      async () => {
        await fx.settle();
        const row = await fx.db
          .selectFrom('payments')
          .select('updated_at')
          .where('id', '=', attempt!.id)
          .executeTakeFirst();
        return !row || row.updated_at > retriedAt;
      },
      { message: 'the reconciler to look the attempt up', intervalMs: 20 },
    );
    // The provider holds the buyer's money for it: the row must stay to be settled.
    expect(await fx.paymentRow(attempt!.id)).toMatchObject({ status: 'pending' });

    // Once the lookup shows it, it is recorded.
    provider.lag = 0;
    await waitFor(
      async () => {
        await fx.settle();
        return (await fx.paymentRow(attempt!.id)).status === 'authorized';
      },
      { message: 'the attempt to be recorded', intervalMs: 20 },
    );
    expect(await fx.paymentRow(attempt!.id)).toMatchObject({
      status: 'authorized',
      provider_id: expect.stringMatching(/^sandbox_pi_/),
    });
  });
});
