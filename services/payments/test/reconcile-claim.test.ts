import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizeRequest, SandboxProvider } from '../src/providers/index.js';
import { createPaymentsFixture, type PaymentsFixture, RecordingProvider } from './fixtures.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type Found = Awaited<ReturnType<SandboxProvider['findAuthorization']>>;

/** The sandbox, whose lookups and authorizations wait for gates the test opens. */
class GatedProvider extends RecordingProvider {
  /** paymentId → the answer its lookup waits for (instead of asking the sandbox). */
  readonly lookups = new Map<string, Promise<Found>>();
  readonly lookedUp: string[] = [];
  /** orderId → the gate its authorization waits for before reaching the sandbox. */
  readonly authorizeGates = new Map<string, Promise<void>>();
  constructor(readonly sandbox = new SandboxProvider()) {
    super(sandbox);
  }
  override async authorize(request: AuthorizeRequest) {
    this.charges.push(request);
    await this.authorizeGates.get(request.metadata.orderId);
    return this.sandbox.authorize(request);
  }
  override async findAuthorization(paymentId: string) {
    this.lookedUp.push(paymentId);
    const answer = this.lookups.get(paymentId);
    return answer ? answer : this.sandbox.findAuthorization(paymentId);
  }
}

describe('reconciliation against a live retry', () => {
  let fx: PaymentsFixture;
  const provider = new GatedProvider();

  beforeAll(async () => {
    fx = await createPaymentsFixture({
      provider,
      env: { PAYMENTS_RECONCILE_AFTER_MS: '50' },
    });
  });
  afterAll(() => fx?.close());

  /**
   * While the reconciler waits on its lookup of `attemptId`: its claim runs out (the
   * lookups of the rows before it in its batch, each up to the provider timeout, outlast
   * it), and the buyer retries: the real request reclaims the attempt and is held at the
   * provider until `authorizeGate` opens. Returns the retry's claim.
   */
  async function retryTakesOver(
    buyer: { headers: Record<string, string> },
    orderId: string,
    attemptId: string,
  ) {
    await fx.db
      .updateTable('payments')
      .set({ claimed_until: new Date(Date.now() - 1_000) })
      .where('id', '=', attemptId)
      .execute();
    const authorizeGate = deferred<void>();
    provider.authorizeGates.set(orderId, authorizeGate.promise);
    const paying = fx.pay(buyer.headers, { orderId, token: 'tok_visa' });
    await waitFor(() => provider.charges.some((c) => c.metadata.orderId === orderId), {
      message: 'the retry to call authorize',
    });
    const liveClaim = (await fx.paymentRow(attemptId)).claimed_until;
    return { authorizeGate, paying, liveClaim };
  }

  it("when a buyer's retry reclaims an attempt while the reconciler is looking it up, then the reconciler leaves it and the retry authorizes it", async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    // An orphaned attempt: its request died before reaching the provider.
    const orphan = await fx.orphanAttempt(order, buyer.id, {
      updatedAt: new Date(Date.now() - 60_000),
    });
    // created_at is older than the sandbox's lookup lag (0): a miss means "never authorized".
    expect(orphan.created_at.getTime()).toBeLessThanOrEqual(Date.now() - provider.lookupLagMs);

    const lookup = deferred<Found>();
    provider.lookups.set(orphan.id, lookup.promise);
    const pass = fx.settle();
    await waitFor(() => provider.lookedUp.includes(orphan.id), {
      message: 'the reconciler to look the attempt up',
    });
    const reconcilerClaim = (await fx.paymentRow(orphan.id)).claimed_until;
    expect(reconcilerClaim!.getTime()).toBeGreaterThan(Date.now());

    const { authorizeGate, paying, liveClaim } = await retryTakesOver(buyer, order.id, orphan.id);
    expect(liveClaim!.getTime()).toBeGreaterThan(Date.now());
    expect(liveClaim!.getTime()).not.toBe(reconcilerClaim!.getTime());

    // The reconciler's lookup, made before the retry's authorization, finds nothing.
    lookup.resolve(null);
    const { reconciled } = await pass;
    const afterPass = await fx.db
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', orphan.id)
      .execute();
    // The retry's authorization goes through, and is recorded on its attempt.
    authorizeGate.resolve();
    const response = await paying;

    expect(afterPass, 'the reconciler dropped an attempt a live request holds').toHaveLength(1);
    expect(afterPass[0]).toMatchObject({ status: 'pending', claimed_until: liveClaim });
    expect(reconciled).toBe(0);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ id: orphan.id });
    const settled = await fx.paymentRow(orphan.id);
    expect(settled).toMatchObject({ status: 'authorized', claimed_until: null });
    expect(settled.provider_id).toMatch(/^sandbox_pi_/);
    expect(await provider.sandbox.findAuthorization(orphan.id)).toMatchObject({
      providerId: settled.provider_id,
      status: 'authorized',
    });
  });

  it('when a lookup fails after a retry reclaimed the attempt, then the reconciler leaves the claim to the retry', async () => {
    const buyer = await fx.buyer();
    const order = await fx.createOrder(buyer.id);
    const orphan = await fx.orphanAttempt(order, buyer.id, {
      updatedAt: new Date(Date.now() - 60_000),
    });

    let failLookup!: (error: Error) => void;
    provider.lookups.set(orphan.id, new Promise<Found>((_, reject) => (failLookup = reject)));
    const pass = fx.settle();
    await waitFor(() => provider.lookedUp.includes(orphan.id), {
      message: 'the reconciler to look the attempt up',
    });
    const { authorizeGate, paying, liveClaim } = await retryTakesOver(buyer, order.id, orphan.id);

    failLookup(new Error('provider unreachable'));
    const { reconciled } = await pass;
    const afterPass = await fx.paymentRow(orphan.id);
    authorizeGate.resolve();
    const response = await paying;

    expect(afterPass, 'the reconciler released a claim a live request holds').toMatchObject({
      status: 'pending',
      claimed_until: liveClaim,
    });
    expect(reconciled).toBe(0);
    expect(response.statusCode, response.body).toBe(201);
    expect((await fx.paymentRow(orphan.id)).status).toBe('authorized');
  });
});
