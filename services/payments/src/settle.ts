import { enqueueEvent, fromCents } from '@gittix/common';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { PaymentAction, PaymentsDatabase } from './db/schema.js';
import { post, saleLines } from './ledger.js';
import type { PaymentOutcome, PaymentOutcomes } from './metrics.js';
import { reversePart } from './partial-reversals.js';
import { feeCents, lockPayment, type PaymentRow, reversedCents } from './payments.js';
import type { ProviderPaymentStatus } from './providers/index.js';

type Db = Kysely<PaymentsDatabase> | Transaction<PaymentsDatabase>;

/**
 * The provider authorized payment `paymentId` as `providerId`: the pending row
 * becomes `authorized` and payment.created asks orders to complete the order;
 * unless the order is cancelled already, in which case the hold is voided.
 * Idempotent: a row already settled (by the reconciler, a webhook, a retry) is
 * returned as it is. Takes the order's replica row lock first, as order.cancelled
 * does, so a cancel either sees this authorization or this sees the cancel.
 * Counts `authorized` in `outcomes` once committed.
 */
export async function recordAuthorization(
  db: Kysely<PaymentsDatabase>,
  paymentId: string,
  providerId: string,
  outcomes?: PaymentOutcomes,
  /**
   * Where the provider says the payment stands, when it was looked up (reconciliation,
   * a webhook) rather than just authorized. `voided`: the hold was released at the
   * provider before this service recorded it (an uncaptured PaymentIntent Stripe
   * cancelled, an operator's cancel): it is recorded voided, and orders is never told
   * it was paid, which would complete the order for money nobody holds.
   */
  providerStatus: ProviderPaymentStatus = 'authorized',
): Promise<PaymentRow> {
  let authorizedNow = false;
  let voidedNow = false;
  const row = await db.transaction().execute(async (trx) => {
    const { order_id } = await trx
      .selectFrom('payments')
      .select('order_id')
      .where('id', '=', paymentId)
      .executeTakeFirstOrThrow();
    const order = await trx
      .selectFrom('orders')
      .select('status')
      .where('id', '=', order_id)
      .forUpdate()
      .executeTakeFirst();
    const payment = await lockPayment(trx, paymentId);
    if (payment.status !== 'pending') return payment;
    if (providerStatus === 'voided') {
      await trx
        .updateTable('payments')
        .set({ provider_id: providerId })
        .where('id', '=', paymentId)
        .execute();
      voidedNow = await recordVoid(trx, { ...payment, provider_id: providerId });
      return trx
        .selectFrom('payments')
        .selectAll()
        .where('id', '=', paymentId)
        .executeTakeFirstOrThrow();
    }
    const cancelled = order?.status === 'cancelled';
    const authorized = await trx
      .updateTable('payments')
      .set({
        status: 'authorized',
        provider_id: providerId,
        claimed_until: null,
        updated_at: new Date(),
        ...(cancelled ? { next_action: 'void', next_attempt_at: new Date() } : {}),
      })
      .where('id', '=', paymentId)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (!cancelled) {
      await enqueueEvent(trx, 'payment.created', {
        id: authorized.id,
        orderId: authorized.order_id,
        providerId,
      });
    }
    authorizedNow = true;
    return authorized;
  });
  if (authorizedNow) outcomes?.inc({ outcome: 'authorized' });
  if (voidedNow) outcomes?.inc({ outcome: 'voided' });
  return row;
}

/** Asks the settler to capture, void or refund a payment (in the caller's transaction). */
export async function schedule(trx: Db, paymentId: string, action: PaymentAction): Promise<void> {
  await trx
    .updateTable('payments')
    .set({
      next_action: action,
      next_attempt_at: new Date(),
      action_attempts: 0,
      last_error: null,
      updated_at: new Date(),
    })
    .where('id', '=', paymentId)
    .execute();
}

export interface CaptureTerms {
  feePercent: number;
}

/**
 * The provider captured the payment: the fee is taken, the sale is posted to the
 * ledger (proceeds available when the ticket's event starts) and
 * payment.captured is published. Idempotent on a captured row. Returns whether it
 * recorded the capture now (the caller counts it after the commit).
 * A capture of a cancelled order's hold (taken at the provider by hand, or news of it
 * reaching the webhook while the void was due) is posted and a refund scheduled in the
 * same transaction, whoever records it; no payment.captured: it is the buyer's receipt
 * and the seller's "Sold", untrue for a cancelled order.
 */
export async function recordCapture(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
  terms: CaptureTerms,
  logger: Logger,
): Promise<boolean> {
  if (payment.status === 'captured') return false;
  const order = await trx
    .selectFrom('orders')
    .select(['status', 'seller_id', 'event_starts_at', 'ticket_id'])
    .where('id', '=', payment.order_id)
    .executeTakeFirst();
  const cancelled = order?.status === 'cancelled';
  const fee = feeCents(payment.amount_cents, terms.feePercent);
  const now = new Date();
  await trx
    .updateTable('payments')
    .set({
      status: 'captured',
      fee_cents: fee,
      captured_at: now,
      next_action: cancelled ? 'refund' : null,
      next_attempt_at: cancelled ? now : null,
      ...(cancelled ? { action_attempts: 0 } : {}),
      last_error: null,
      updated_at: now,
    })
    .where('id', '=', payment.id)
    .execute();
  if (cancelled) {
    logger.error(
      { paymentId: payment.id, orderId: payment.order_id, providerId: payment.provider_id },
      'captured at the provider for a cancelled order: capture recorded, refund scheduled',
    );
  }
  if (!order?.seller_id) {
    // Only events from before sellers were named lack one: the money stays the platform's.
    logger.error({ paymentId: payment.id }, 'captured a payment whose seller is unknown');
  }
  const eventStarts = order?.event_starts_at;
  await post(
    trx,
    saleLines({
      amountCents: payment.amount_cents,
      feeCents: fee,
      sellerId: order?.seller_id ?? 'unknown',
      availableAt: eventStarts && eventStarts > now ? eventStarts : now,
    }),
    { paymentId: payment.id },
  );
  // The seller told of the sale: none for a cancelled order's capture (refunded next).
  const sellerId = cancelled ? null : (order?.seller_id ?? null);
  if (sellerId) {
    await enqueueEvent(trx, 'payment.captured', {
      id: payment.id,
      orderId: payment.order_id,
      userId: payment.user_id,
      sellerId,
      amount: fromCents(payment.amount_cents),
      fee: fromCents(fee),
      ticketId: order?.ticket_id ?? null,
    });
  }
  // Part of it given back at the provider before this capture was recorded: reversed
  // now, and told after the sale (the seller's "Sold", then the cut); not told for a
  // cancelled order's capture, refunded in full next.
  const partBack = reversedCents(payment);
  if (partBack > 0) {
    const by = payment.refunded_cents > 0 ? 'refund' : 'chargeback';
    await reversePart(trx, payment, 0, partBack, sellerId ? by : null);
  }
  return true;
}

/** The hold was released: the buyer is not charged. Returns whether it recorded it now. */
export async function recordVoid(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
): Promise<boolean> {
  if (payment.status === 'voided') return false;
  const now = new Date();
  await trx
    .updateTable('payments')
    .set({
      status: 'voided',
      voided_at: now,
      claimed_until: null,
      next_action: null,
      next_attempt_at: null,
      last_error: null,
      updated_at: now,
    })
    .where('id', '=', payment.id)
    .execute();
  await enqueueEvent(trx, 'payment.voided', {
    id: payment.id,
    orderId: payment.order_id,
    userId: payment.user_id,
  });
  return true;
}

/**
 * The provider released the hold (a webhook or the settler found it canceled, or
 * holding no money): recorded voided with payment.voided, as every void. When the
 * order had completed and its capture was due, the money was never collected: no
 * capture posting (the seller is never credited for it), logged at error level for an
 * operator, and counted `capture_lost` instead of `voided`.
 */
export async function recordReleasedHold(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
  logger: Logger,
): Promise<PaymentOutcome | null> {
  const captureLost = payment.status === 'authorized' && payment.next_action === 'capture';
  if (!(await recordVoid(trx, payment))) return null;
  if (!captureLost) return 'voided';
  logger.error(
    {
      paymentId: payment.id,
      orderId: payment.order_id,
      providerId: payment.provider_id,
      amountCents: payment.amount_cents,
    },
    'capture lost: the hold was released at the provider before its capture; the order is complete but no money was collected',
  );
  return 'capture_lost';
}

/**
 * What gave a captured payment's money back: the provider's refund, or a chargeback (a
 * dispute the platform lost, which took the money from it without any refund).
 */
export type MoneyBack = { refundId: string } | { disputeId: string };

/**
 * A captured payment was given back (the settler's refund of a cancelled order's, one
 * made at the provider, or a chargeback): the sale's postings are reversed and
 * payment.refunded published, in this transaction and only when recorded now, so a
 * redelivered webhook or a retried refund announces nothing twice. Tickets takes the
 * ticket's file from the buyer, notifications tells them. Any action still due (a
 * parked refund) ends. Returns whether it recorded it now.
 */
export async function recordRefund(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
  back: MoneyBack,
): Promise<boolean> {
  if (payment.status === 'refunded') return false;
  const now = new Date();
  await trx
    .updateTable('payments')
    .set({
      status: 'refunded',
      refunded_at: now,
      refund_id: 'refundId' in back ? back.refundId : null,
      // A refund keeps the id of a partial chargeback lost before it.
      ...('disputeId' in back ? { dispute_id: back.disputeId } : {}),
      next_action: null,
      next_attempt_at: null,
      last_error: null,
      updated_at: now,
    })
    .where('id', '=', payment.id)
    .execute();
  const order = await trx
    .selectFrom('orders')
    .select('ticket_id')
    .where('id', '=', payment.order_id)
    .executeTakeFirst();
  await enqueueEvent(trx, 'payment.refunded', {
    id: payment.id,
    orderId: payment.order_id,
    userId: payment.user_id,
    amount: fromCents(payment.amount_cents),
    ticketId: order?.ticket_id ?? null,
    by: 'disputeId' in back ? 'chargeback' : 'refund',
  });
  // What of the sale still stands, per account: the sale less any part given back before.
  const sale = await trx
    .selectFrom('ledger_entries')
    .select(['account', 'kind', 'amount_cents', 'available_at'])
    .where('payment_id', '=', payment.id)
    .where('kind', 'in', ['charge', 'fee', 'proceeds', 'partial_refund'])
    .orderBy('kind')
    .execute();
  const standing = new Map<string, { cents: number; availableAt: Date }>();
  for (const line of sale) {
    const account = standing.get(line.account);
    if (account) account.cents += line.amount_cents;
    else standing.set(line.account, { cents: line.amount_cents, availableAt: line.available_at });
  }
  const lines = [...standing]
    .filter(([, { cents }]) => cents !== 0)
    .map(([account, { cents, availableAt }]) => ({
      account,
      amountCents: -cents,
      kind: 'refund' as const,
      availableAt,
    }));
  if (lines.length === 0) return true;
  await post(trx, lines, { paymentId: payment.id });
  return true;
}
