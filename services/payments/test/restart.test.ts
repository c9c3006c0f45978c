import { randomUUID } from 'node:crypto';
import { createDb } from '@gittix/common';
import {
  createTestEnvironment,
  STAND_IN_SECRET_KEY,
  startStripeStandIn,
  startTestService,
  type TestEnvironment,
  testLogger,
  testUser,
  waitFor,
} from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizeRequest,
  createStripeProvider,
  type PayoutRequest,
  PostgresSandboxStore,
  SandboxProvider,
  type SandboxTables,
} from '../src/providers/index.js';
import { paymentsService } from '../src/service.js';
import type { Settler } from '../src/settler.js';
import { orderCreated, RecordingProvider } from './fixtures.js';

/** The sandbox on its Postgres store, whose process "dies" right after the provider authorized. */
class DyingProvider extends RecordingProvider {
  override async authorize(request: AuthorizeRequest): Promise<{ providerId: string }> {
    await super.authorize(request);
    throw new Error('process died after the provider answered');
  }
}

/** Stripe, whose process "dies" right after Stripe made the payout's transfer. */
class DiesAfterTransfer extends RecordingProvider {
  override async payout(request: PayoutRequest): Promise<{ providerId: string }> {
    await super.payout(request);
    throw new Error('process died after Stripe made the transfer');
  }
}

describe('payments across a crash and a restart (the sandbox keeps its side in Postgres)', () => {
  let environment: TestEnvironment;
  let sandboxDb: Kysely<SandboxTables>;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    sandboxDb = createDb<SandboxTables>(environment.configFor(paymentsService).DATABASE_URL!, {
      max: 1,
    });
  });
  afterAll(async () => {
    await sandboxDb?.destroy();
    await environment?.close();
  });

  it('when the process dies between the provider authorizing and the commit, then the restarted service reconciles the payment and later captures the hold', async () => {
    const store = new PostgresSandboxStore(sandboxDb);
    const first = await startTestService(paymentsService, {
      environment,
      parts: { provider: new DyingProvider(new SandboxProvider(store)), startSettler: false },
    });
    const buyer = await environment.signIn(testUser('buyer'));
    const order = orderCreated({ userId: buyer.user.id });
    await first.start();
    await first.deliver('order.created', order);
    const died = await first.app.inject({
      method: 'POST',
      url: '/api/payments',
      headers: buyer.bearer,
      payload: { orderId: order.id, token: 'tok_visa' },
    });
    expect(died.statusCode).toBe(500);
    const [pending] = await first.db
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .execute();
    expect(pending).toMatchObject({ status: 'pending', provider_id: null });
    await first.stop();
    await first.close();

    // The new process: the configured sandbox (its Postgres store), the settler running.
    const second = await startTestService(paymentsService, {
      environment,
      env: { PAYMENTS_SETTLE_INTERVAL_MS: '100', PAYMENTS_RECONCILE_AFTER_MS: '100' },
    });
    try {
      await second.start();
      const started = Date.now();
      const settled = await waitFor(
        async () => {
          const row = await second.db
            .selectFrom('payments')
            .selectAll()
            .where('id', '=', pending!.id)
            .executeTakeFirstOrThrow();
          return row.status === 'authorized' ? row : undefined;
        },
        { timeoutMs: 15_000, message: 'reconciliation after the restart' },
      );
      expect(Date.now() - started).toBeLessThan(60_000);
      const hold = await store.holdOfPayment(pending!.id);
      expect(settled.provider_id).toBe(hold!.providerId);

      await second.deliver('order.completed', {
        id: order.id,
        version: 1,
        userId: buyer.user.id,
        paymentId: pending!.id,
        ticket: { id: order.ticket.id, price: 25.5, userId: randomUUID(), title: 'A show' },
      });
      const captured = await waitFor(
        async () => {
          const row = await second.db
            .selectFrom('payments')
            .select(['status', 'fee_cents'])
            .where('id', '=', pending!.id)
            .executeTakeFirstOrThrow();
          return row.status === 'captured' ? row : undefined;
        },
        { timeoutMs: 10_000, message: 'the capture by the restarted service' },
      );
      expect(captured).toEqual({ status: 'captured', fee_cents: 255 });
      expect((await store.hold(hold!.providerId))?.status).toBe('captured');
    } finally {
      await second.stop();
      await second.close();
    }
  });

  it('when the process dies after Stripe made a payout transfer, then the restarted service (Stripe from its configuration) finds the transfer and records the payout paid, with no second transfer', async () => {
    const standIn = await startStripeStandIn();
    let settler: Settler | undefined;
    let firstClosed = false;
    const first = await startTestService(paymentsService, {
      environment,
      parts: {
        provider: new DiesAfterTransfer(
          createStripeProvider({
            secretKey: STAND_IN_SECRET_KEY,
            apiBase: standIn.url,
            timeoutMs: 2_000,
            logger: testLogger,
          }),
        ),
        startSettler: false,
        onSettler: (built) => {
          settler = built;
        },
      },
    });
    try {
      await first.start();
      const seller = await environment.signIn(testUser('seller'));
      const sellerId = seller.user.id;
      await first.deliver('user.created', {
        id: sellerId,
        version: 0,
        email: `${sellerId}@example.com`,
        emailVerified: true,
      });
      // A sale of $40, captured: $36 available.
      const buyer = await environment.signIn(testUser('buyer'));
      const order = orderCreated({
        userId: buyer.user.id,
        ticket: { id: randomUUID(), price: 40, userId: sellerId, eventStartsAt: null },
      });
      await first.deliver('order.created', order);
      const paid = await first.app.inject({
        method: 'POST',
        url: '/api/payments',
        headers: buyer.bearer,
        payload: { orderId: order.id, token: 'tok_visa' },
      });
      expect(paid.statusCode).toBe(201);
      await first.deliver('order.completed', {
        id: order.id,
        version: 1,
        userId: buyer.user.id,
        paymentId: paid.json().id,
        ticket: { id: order.ticket.id, price: 40, userId: sellerId, title: 'A show' },
      });
      await settler!.runOnce();
      // Connected and onboarded (GET asks Stripe, ahead of the webhook).
      const inject = (method: 'GET' | 'POST', url: string) =>
        first.app.inject({ method, url, headers: seller.bearer });
      expect((await inject('POST', '/api/payouts/account')).statusCode).toBe(200);
      const [accountId] = [...standIn.accounts.keys()];
      standIn.completeOnboarding(accountId!);
      expect((await inject('GET', '/api/payouts/account')).json().status).toBe('enabled');

      expect((await inject('POST', '/api/payouts')).statusCode).toBe(500);
      const [pending] = await first.db
        .selectFrom('payouts')
        .selectAll()
        .where('user_id', '=', sellerId)
        .execute();
      expect(pending).toMatchObject({ status: 'pending', amount_cents: 3600 });
      expect(standIn.state.transfers).toBe(1);
      await first.stop();
      await first.close();
      firstClosed = true;

      const second = await startTestService(paymentsService, {
        environment,
        env: {
          PAYMENTS_PROVIDER: 'stripe',
          STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
          STRIPE_API_BASE: standIn.url,
          PAYMENTS_SETTLE_INTERVAL_MS: '100',
          PAYMENTS_RECONCILE_AFTER_MS: '100',
        },
      });
      try {
        await second.start();
        const settled = await waitFor(
          async () => {
            const row = await second.db
              .selectFrom('payouts')
              .selectAll()
              .where('id', '=', pending!.id)
              .executeTakeFirstOrThrow();
            return row.status === 'paid' ? row : undefined;
          },
          { timeoutMs: 15_000, message: 'the payout settled by the restarted service' },
        );
        const [transfer, ...more] = [...standIn.transfers.values()];
        expect(more).toEqual([]);
        expect(transfer).toMatchObject({ transfer_group: pending!.id, amount: 3600 });
        expect(settled.provider_id).toBe(transfer!.id);
        // payout.paid goes out through the outbox relay, after the commit the poll saw.
        const paid = await waitFor(
          async () => {
            const events = await second.publishedEvents('payout.paid');
            const ours = events.filter((e) => e.data.id === pending!.id);
            return ours.length > 0 ? ours : undefined;
          },
          { timeoutMs: 15_000, message: 'payout.paid on the stream' },
        );
        expect(paid).toHaveLength(1);
      } finally {
        await second.stop();
        await second.close();
      }
    } finally {
      if (!firstClosed) await first.close();
      await standIn.close();
    }
  });
});
