import { randomUUID } from 'node:crypto';
import type { EventEnvelope, EventInput, Logger, Subject } from '@gittix/common';
import {
  capturingLogger as capturingServiceLogger,
  orderCancelledData,
  orderCreatedData,
  STAND_IN_SECRET_KEY,
  startTestService,
  streamMessages,
  testLogger,
  testUser,
} from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { LedgerKind, PaymentsDatabase } from '../src/db/schema.js';
import type {
  AuthorizeRequest,
  PaymentProvider,
  PayoutRequest,
  SettleRequest,
} from '../src/providers/index.js';
import { createStripeProvider, SandboxProvider } from '../src/providers/index.js';
import { paymentsService } from '../src/service.js';
import type { Settler } from '../src/settler.js';

/** The real Stripe SDK pointed at a Stripe stand-in, quick to give up (1 s, no retries). */
export function standInStripeProvider(standIn: { url: string }) {
  return createStripeProvider({
    secretKey: STAND_IN_SECRET_KEY,
    apiBase: standIn.url,
    timeoutMs: 1_000,
    maxNetworkRetries: 0,
    logger: testLogger,
  });
}

/** Wraps a provider and remembers every request, so tests can read the idempotency keys. */
export class RecordingProvider implements PaymentProvider {
  readonly charges: AuthorizeRequest[] = [];
  readonly captures: SettleRequest[] = [];
  readonly voids: SettleRequest[] = [];
  readonly refunds: SettleRequest[] = [];
  constructor(readonly inner: PaymentProvider = new SandboxProvider()) {}
  get name() {
    return this.inner.name;
  }
  get lookupLagMs() {
    return this.inner.lookupLagMs;
  }
  authorize(request: AuthorizeRequest) {
    this.charges.push(request);
    return this.inner.authorize(request);
  }
  capture(request: SettleRequest) {
    this.captures.push(request);
    return this.inner.capture(request);
  }
  void(request: SettleRequest) {
    this.voids.push(request);
    return this.inner.void(request);
  }
  refund(request: SettleRequest) {
    this.refunds.push(request);
    return this.inner.refund(request);
  }
  readonly retrieves: string[] = [];
  retrieve(providerId: string) {
    this.retrieves.push(providerId);
    return this.inner.retrieve(providerId);
  }
  get processingFee() {
    return this.inner.processingFee?.bind(this.inner);
  }
  findAuthorization(paymentId: string) {
    return this.inner.findAuthorization(paymentId);
  }
  readonly payouts: PayoutRequest[] = [];
  get connect() {
    return this.inner.connect;
  }
  payout(request: PayoutRequest) {
    this.payouts.push(request);
    return this.inner.payout(request);
  }
  findPayout(payoutId: string) {
    return this.inner.findPayout(payoutId);
  }
}

export interface PaymentsFixtureOptions {
  provider?: PaymentProvider;
  providerTimeoutMs?: number;
  env?: Record<string, string>;
  /** Where the service logs (a test reading its lines: `capturingLogger`). */
  logger?: Logger;
}

/** A logger that keeps every line it writes (parsed), for tests that read the log. */
export const capturingLogger = () => capturingServiceLogger('payments');

export type PaymentsFixture = Awaited<ReturnType<typeof createPaymentsFixture>>;

/**
 * The payments service as main.ts opens it, on a database and a stream of this
 * test file's own, with its real consumers running and `provider` in place of the
 * configured one. The outbox relay is not started: tests drain it.
 */
export async function createPaymentsFixture(options: PaymentsFixtureOptions = {}) {
  const provider = options.provider ?? new RecordingProvider();
  let settler: Settler | undefined;
  const service = await startTestService(paymentsService, {
    env: {
      PAYMENTS_PROVIDER_TIMEOUT_MS: String(options.providerTimeoutMs ?? 5_000),
      ...options.env,
    },
    ...(options.logger ? { logger: options.logger } : {}),
    parts: {
      provider,
      startSettler: false,
      onSettler: (built) => {
        settler = built;
      },
    },
  });
  await service.startConsumers({ maxDeliveries: 3 });
  const { app, environment } = service;

  return Object.assign(service, {
    provider,
    settler: settler!,

    /** One settler pass, as the background loop makes every second. */
    settle() {
      return settler!.runOnce();
    },

    /** Publishes order.completed for an order and its payment, as orders does. */
    async completeOrder(
      order: EventInput<'order.created'>,
      paymentId: string,
      ticket: Partial<EventInput<'order.completed'>['ticket']> = {},
    ) {
      return service.deliver('order.completed', {
        id: order.id,
        version: order.version + 1,
        userId: order.userId,
        paymentId,
        ticket: {
          id: order.ticket.id,
          price: order.ticket.price,
          userId: order.ticket.userId ?? randomUUID(),
          title: 'A ticket',
          ...ticket,
        },
      });
    },

    /** The payment's ledger lines (kind, cents, posting), by kind. */
    ledgerLines(paymentId: string) {
      return service.db
        .selectFrom('ledger_entries')
        .select(['kind', 'amount_cents', 'posting_id'])
        .where('payment_id', '=', paymentId)
        .orderBy('kind')
        .execute();
    },

    /** Each account's sum over the payment's ledger lines (of `kinds` only, when given). */
    async accountTotals(paymentId: string, kinds?: LedgerKind[]) {
      let query = service.db
        .selectFrom('ledger_entries')
        .select(['account', service.db.fn.sum<string>('amount_cents').as('cents')])
        .where('payment_id', '=', paymentId);
      if (kinds) query = query.where('kind', 'in', kinds);
      const rows = await query.groupBy('account').execute();
      return Object.fromEntries(rows.map((row) => [row.account, Number(row.cents)]));
    },

    /** The payment's next try of its action is due now, instead of after its backoff. */
    async makeDue(paymentId: string) {
      await service.db
        .updateTable('payments')
        .set({ next_attempt_at: new Date() })
        .where('id', '=', paymentId)
        .execute();
    },

    /** Hours pass: whatever retry the payment has scheduled is due (a parked action has none). */
    async hoursPass(paymentId: string) {
      await service.db
        .updateTable('payments')
        .set({ next_attempt_at: new Date() })
        .where('id', '=', paymentId)
        .where('next_attempt_at', 'is not', null)
        .execute();
    },

    async paymentRow(paymentId: string) {
      return service.db
        .selectFrom('payments')
        .selectAll()
        .where('id', '=', paymentId)
        .executeTakeFirstOrThrow();
    },

    /**
     * A pending attempt whose request died before the provider heard of it (an orphan
     * for reconciliation), inserted as payForOrder inserts one. `updatedAt` in the past
     * makes it stale at once.
     */
    async orphanAttempt(
      order: { id: string },
      buyerId: string,
      options: { updatedAt?: Date; provider?: string } = {},
    ) {
      const id = randomUUID();
      return service.db
        .insertInto('payments')
        .values({
          id,
          order_id: order.id,
          user_id: buyerId,
          amount_cents: 2550,
          status: 'pending',
          provider: options.provider ?? 'sandbox',
          provider_id: null,
          idempotency_key: `payment_${id}`,
          claimed_until: null,
          next_action: null,
          next_attempt_at: null,
          last_error: null,
          captured_at: null,
          voided_at: null,
          refunded_at: null,
          refund_id: null,
          ...(options.updatedAt ? { updated_at: options.updatedAt } : {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** A signed-in buyer: their id and the Authorization header to send. */
    async buyer() {
      const session = await environment.signIn(testUser('buyer'));
      return { id: session.user.id, headers: session.bearer };
    },

    /** Publishes order.created for `userId` and waits until the replica holds it. */
    async createOrder(userId: string, overrides: Partial<EventInput<'order.created'>> = {}) {
      const data = orderCreated({ userId, ...overrides });
      await service.deliver('order.created', data);
      return data;
    },

    async cancelOrder(order: { id: string; ticket: { id: string } }, version = 1) {
      return service.deliver('order.cancelled', orderCancelledData(order, version));
    },

    pay(headers: Record<string, string>, payload: unknown) {
      return app.inject({
        method: 'POST',
        url: '/api/payments',
        headers,
        payload: payload as object,
      });
    },

    /** A sale paid with the test card, its order completed and its capture settled: the seller is credited. */
    async capturedSale() {
      const buyer = await this.buyer();
      const order = await this.createOrder(buyer.id);
      const paid = (await this.pay(buyer.headers, { orderId: order.id, token: 'tok_visa' })).json();
      await this.completeOrder(order, paid.id);
      await this.settle();
      expect((await this.paymentRow(paid.id)).status).toBe('captured');
      return { buyer, order, paid };
    },

    /** The `subject` events about payment `paymentId` on the stream, after draining the outbox. */
    async paymentEvents<S extends Subject>(subject: S, paymentId: string) {
      await service.relay.drain();
      const messages = await streamMessages<EventEnvelope<S>>(service.bus, {
        subject: service.bus.subjectOf(subject),
      });
      return messages.filter((m) => (m.body.data as { id: string }).id === paymentId);
    },

    /** The subjects of every payment event about `paymentId`, in stream order (outbox drained). */
    async paymentHistory(paymentId: string) {
      await service.relay.drain();
      const messages = await streamMessages<EventEnvelope>(service.bus);
      return messages
        .filter((m) => m.body.type.startsWith('payment.'))
        .filter((m) => (m.body.data as { id?: string }).id === paymentId)
        .map((m) => m.body.type);
    },

    /** payment.created events the service has published, after draining its outbox. */
    async publishedPayments() {
      await service.relay.drain();
      return streamMessages<EventEnvelope<'payment.created'>>(service.bus, {
        subject: service.bus.subjectOf('payment.created'),
      });
    },
  });
}

/** An order.created payload: a future expiry, $25.50, overridable. */
export function orderCreated(
  overrides: Partial<EventInput<'order.created'>> & { userId: string },
): EventInput<'order.created'> {
  return orderCreatedData({
    ticket: { id: randomUUID(), price: 25.5, userId: randomUUID() },
    ...overrides,
  });
}

/** What the database holds for one order: its replica row, payments and declines. */
export async function storedFor(db: Kysely<PaymentsDatabase>, orderId: string) {
  const [order, payments, declines] = await Promise.all([
    db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst(),
    db.selectFrom('payments').selectAll().where('order_id', '=', orderId).execute(),
    db
      .selectFrom('payment_declines')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('attempt')
      .execute(),
  ]);
  return { order, payments, declines };
}
