import { randomUUID } from 'node:crypto';
import { STAND_IN_SECRET_KEY, startStripeStandIn, testLogger } from '@gittix/common/testing';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStripeProvider,
  retryPlan,
  STRIPE_SDK_RETRY_WAITS,
} from '../src/providers/stripe.js';

describe("the Stripe provider's timeout", () => {
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;

  beforeAll(async () => {
    standIn = await startStripeStandIn();
  });
  afterAll(async () => {
    await standIn?.close();
  });

  it("when the SDK's backoff is read, then it is the one retryPlan assumes", () => {
    const stripe = new Stripe(STAND_IN_SECRET_KEY);
    expect(stripe.getInitialNetworkRetryDelay() * 1000).toBe(STRIPE_SDK_RETRY_WAITS.initialMs);
    expect(stripe.getMaxNetworkRetryDelay() * 1000).toBe(STRIPE_SDK_RETRY_WAITS.maxMs);
  });

  it('when split over retries, then every try and every wait fit in the whole', () => {
    const waits = STRIPE_SDK_RETRY_WAITS;
    expect(retryPlan(20_000, 0, waits)).toEqual({ retries: 0, perTryMs: 20_000 });
    // Two retries wait at most 0.5 s each: (20 − 1) / 3 s a try.
    expect(retryPlan(20_000, 2, waits)).toEqual({ retries: 2, perTryMs: 6_333 });
    // Four: 0.5 + 0.5 + 1 + 2 s of waiting.
    expect(retryPlan(20_000, 4, waits)).toEqual({ retries: 4, perTryMs: 3_200 });
    // Tries under a second would time out calls Stripe answers: fewer retries, or none.
    expect(retryPlan(3_000, 2, waits)).toEqual({ retries: 1, perTryMs: 1_250 });
    expect(retryPlan(2_000, 2, waits)).toEqual({ retries: 0, perTryMs: 2_000 });
  });

  it('when Stripe does not answer, then the call and all its SDK retries end within the timeout, so none reaches Stripe after the caller gave up', async () => {
    const timeoutMs = 4_000;
    const provider = createStripeProvider({
      secretKey: STAND_IN_SECRET_KEY,
      apiBase: standIn.url,
      timeoutMs,
      maxNetworkRetries: 2,
      logger: testLogger,
    });
    standIn.state.delayMs = 60_000;
    const key = `payment_${randomUUID()}`;
    const started = Date.now();
    await expect(
      provider.authorize({
        amountCents: 2_550,
        currency: 'usd',
        token: 'tok_visa',
        idempotencyKey: key,
        description: 'a ticket',
        metadata: { paymentId: randomUUID(), orderId: randomUUID(), userId: randomUUID() },
      }),
    ).rejects.toThrow();
    const elapsed = Date.now() - started;
    const tries = standIn
      .paymentIntentRequests()
      .filter((r) => r.headers['idempotency-key'] === key);
    // The SDK did retry (the same key), and gave up in time: before, each try alone had
    // the whole timeout, and the third try went out 9 s after the call.
    expect(tries.length).toBe(3);
    expect(elapsed).toBeLessThan(timeoutMs + 500);
  }, 30_000);
});
