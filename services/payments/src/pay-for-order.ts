import { randomUUID } from 'node:crypto';
import {
  BadRequestError,
  NotFoundError,
  NotReplicatedYetError,
  TooManyRequestsError,
} from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';
import type { PaymentOutcomes } from './metrics.js';
import { feeCents, type Payment, type PaymentRow, toPayment } from './payments.js';
import {
  CardDeclinedError,
  InvalidTokenError,
  type PaymentProvider,
  withProviderTimeout,
} from './providers/index.js';
import { recordAuthorization } from './settle.js';

export interface PayForOrderDeps {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  /** Declined attempts on one order before the next one is refused with 429. */
  maxDeclines: number;
  /** PLATFORM_FEE_PERCENT: the payment shows its fee from the start (capture sets it again). */
  feePercent: number;
  /** Where authorizations and declines are counted (gittix_payments_total). */
  outcomes?: PaymentOutcomes;
}

export interface PayForOrderInput {
  orderId: string;
  token: string;
  userId: string;
}

/** How long an attempt's claim outlives the provider call it covers. */
export const CLAIM_MARGIN_MS = 5_000;

/**
 * Authorizes the buyer's card for their order. The attempt is committed as a
 * `pending` payment BEFORE the provider hears of it, and the provider is called
 * outside any transaction: whatever happens after the provider answers (a crash,
 * a timeout), the row is there for a retry or the reconciler to settle.
 *
 * One attempt per order at a time: the pending row carries a claim
 * (`claimed_until`); a parallel request finds it claimed and is told the order is
 * paid, a retry after a timeout reclaims it and repeats its idempotency key, so the
 * provider authorizes once. Each attempt row has a key of its own (`payment_<id>`),
 * never reused by another: the provider (Stripe) refuses a key reused with other
 * parameters, and every row's differ (its `paymentId`, a freshly tokenized card).
 */
export async function payForOrder(
  deps: PayForOrderDeps,
  input: PayForOrderInput,
): Promise<Payment> {
  const { attempt, reclaimed } = await claimAttempt(deps, input);
  let providerId: string;
  try {
    ({ providerId } = await withProviderTimeout(
      deps.provider.authorize({
        amountCents: attempt.amount_cents,
        currency: 'usd',
        token: input.token,
        idempotencyKey: attempt.idempotency_key!,
        description: `GitTix order ${attempt.order_id}`,
        metadata: { paymentId: attempt.id, orderId: attempt.order_id, userId: input.userId },
      }),
      deps.providerTimeoutMs,
    ));
  } catch (error) {
    // A decline for a reclaimed attempt is its key's first answer replayed (or the first
    // call never got there), so nothing is held. A token refused before its key was
    // looked at says nothing about that first call, which may hold the buyer's money:
    // the attempt is kept, for a retry or the reconciler to settle.
    const dropsAttempt =
      error instanceof CardDeclinedError || (error instanceof InvalidTokenError && !reclaimed);
    if (dropsAttempt) {
      if (await abandonAttempt(deps.db, attempt, error)) {
        deps.outcomes?.inc({ outcome: 'declined' });
      }
    } else {
      // Unknown outcome: keep the row, let a retry or the reconciler find out. So too
      // when the provider refuses the key (AttemptStillConfirmingError, a retry with
      // another card): the key's first call may have authorized, and the row is how
      // the reconciler finds that out (or drops it, and the next attempt gets a new key).
      await deps.db
        .updateTable('payments')
        .set({ claimed_until: new Date() })
        .where('id', '=', attempt.id)
        .where('status', '=', 'pending')
        .execute();
    }
    throw error;
  }
  const settled = await recordAuthorization(deps.db, attempt.id, providerId, deps.outcomes);
  if (settled.status === 'voided' || settled.next_action === 'void') {
    throw new BadRequestError('Cannot pay for a cancelled order');
  }
  return toPayment(settled);
}

/** Checks the order and commits the attempt (a new pending row, or a reclaimed one). */
async function claimAttempt(
  { db, providerTimeoutMs, provider, maxDeclines, feePercent }: PayForOrderDeps,
  input: PayForOrderInput,
): Promise<{ attempt: PaymentRow; reclaimed: boolean }> {
  const claimedUntil = new Date(Date.now() + providerTimeoutMs + CLAIM_MARGIN_MS);
  return db.transaction().execute(async (trx) => {
    const order = await trx
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', input.orderId)
      .forUpdate()
      .executeTakeFirst();
    // An order placed a moment ago may not have reached the replica yet (the route waits).
    if (!order) throw new NotReplicatedYetError('Order not found');
    if (order.user_id !== input.userId) throw new NotFoundError('Order not found');

    // Locked: the reconciler may be about to drop this attempt; it waits, then finds
    // the claim taken over and leaves the row alone.
    const existing = await trx
      .selectFrom('payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .forUpdate()
      .executeTakeFirst();
    if (existing && existing.status !== 'pending') {
      if (existing.status === 'authorized' || existing.status === 'captured') {
        throw new BadRequestError('Order already paid');
      }
      throw new BadRequestError('Cannot pay for a cancelled order');
    }
    if (existing?.claimed_until && existing.claimed_until > new Date()) {
      // Another request is talking to the provider about this order right now.
      throw new BadRequestError('Order already paid');
    }
    // The replica may not have heard of the expiration yet; the clock has.
    const expired = !order.expires_at || order.expires_at.getTime() <= Date.now();
    if (order.status === 'cancelled' || expired || order.price_cents === null) {
      throw new BadRequestError('Cannot pay for a cancelled order');
    }
    // A hold taken before the show may outlive its start: the seat is no use by then.
    if (order.event_starts_at && order.event_starts_at.getTime() <= Date.now()) {
      throw new BadRequestError('The event has started');
    }
    const { count } = await trx
      .selectFrom('payment_declines')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow();
    const declines = Number(count);
    if (declines >= maxDeclines) {
      throw new TooManyRequestsError(
        `Too many declined attempts for this order (${maxDeclines}): cancel it and order the ticket again`,
      );
    }
    if (existing) {
      const attempt = await trx
        .updateTable('payments')
        .set({ claimed_until: claimedUntil, attempted_at: new Date(), updated_at: new Date() })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { attempt, reclaimed: true };
    }
    // The key is the row's own, so the id is chosen here rather than by the database.
    const id = randomUUID();
    const attempt = await trx
      .insertInto('payments')
      .values({
        id,
        order_id: order.id,
        user_id: input.userId,
        amount_cents: order.price_cents,
        fee_cents: feeCents(order.price_cents, feePercent),
        status: 'pending',
        provider: provider.name,
        provider_id: null,
        idempotency_key: `payment_${id}`,
        claimed_until: claimedUntil,
        attempted_at: new Date(),
        next_action: null,
        next_attempt_at: null,
        last_error: null,
        captured_at: null,
        voided_at: null,
        refunded_at: null,
        refund_id: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { attempt, reclaimed: false };
  });
}

/**
 * The provider said no: no money is held, the attempt row goes, a decline is
 * counted. Returns whether it recorded a decline (the card, not the token, was refused).
 */
async function abandonAttempt(
  db: Kysely<PaymentsDatabase>,
  attempt: PaymentRow,
  error: CardDeclinedError | InvalidTokenError,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('payments')
      .where('id', '=', attempt.id)
      .where('status', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    if (deleted && error instanceof CardDeclinedError) {
      await trx
        .insertInto('payment_declines')
        .values({
          order_id: attempt.order_id,
          attempt: sql<number>`(SELECT COUNT(*) FROM payment_declines WHERE order_id = ${attempt.order_id})`,
          reason: error.message,
        })
        .execute();
      return true;
    }
    return false;
  });
}
