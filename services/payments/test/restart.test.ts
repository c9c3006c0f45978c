import { randomUUID } from 'node:crypto';
import { createDb } from '@gittix/common';
import {
  createTestEnvironment,
  startTestService,
  type TestEnvironment,
  testUser,
  waitFor,
} from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizeRequest,
  PostgresSandboxStore,
  SandboxProvider,
  type SandboxTables,
} from '../src/providers/index.js';
import { paymentsService } from '../src/service.js';
import { orderCreated, RecordingProvider } from './fixtures.js';

/** The sandbox on its Postgres store, whose process "dies" right after the provider authorized. */
class DyingProvider extends RecordingProvider {
  override async authorize(request: AuthorizeRequest): Promise<{ providerId: string }> {
    await super.authorize(request);
    throw new Error('process died after the provider answered');
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
});
