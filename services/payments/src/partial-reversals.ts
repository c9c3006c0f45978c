import { enqueueEvent, fromCents } from '@gittix/common';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';
import { FEES_ACCOUNT, type LedgerLine, PROVIDER_ACCOUNT, post } from './ledger.js';
import type { PaymentOutcomes } from './metrics.js';
import { findByProviderId, lockPayment, type PaymentRow, reversedCents } from './payments.js';

/**
 * Part of a captured sale given back while the sale stands (the buyer keeps the ticket):
 * `refundedCents`, the provider's running total of partial refunds (Stripe's
 * `amount_refunded`, which only grows, so an older event carries less and changes
 * nothing), or `chargedBackCents` of the lost dispute `disputeId` (applied once).
 */
export type PartBack = { refundedCents: number } | { chargedBackCents: number; disputeId: string };

/** `numerator / denominator` rounded half up, exact for any cents (BigInt: fee × part may pass 2^53). */
function share(amount: number, numerator: number, denominator: number): number {
  const scaled = 2n * BigInt(amount) * BigInt(numerator) + BigInt(denominator);
  return Number(scaled / (2n * BigInt(denominator)));
}

/**
 * The lines that move a sale's reversal from `fromCents` given back to `toCents`: the
 * buyer's money out of the provider account, and the platform's fee and the seller's
 * proceeds each cut in proportion (the fee's part rounded half up, the seller's the
 * rest, so the lines sum to zero), the seller's line available when the sale was.
 */
export async function partReversalLines(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
  fromCents: number,
  toCents: number,
): Promise<LedgerLine[]> {
  const sale = await trx
    .selectFrom('ledger_entries')
    .select(['account', 'kind', 'amount_cents', 'available_at'])
    .where('payment_id', '=', payment.id)
    .where('kind', 'in', ['charge', 'fee', 'proceeds'])
    .execute();
  const fee = sale.find((line) => line.kind === 'fee');
  const proceeds = sale.find((line) => line.kind === 'proceeds');
  if (!fee || !proceeds) return [];
  const feePart = (cents: number) => share(fee.amount_cents, cents, payment.amount_cents);
  const back = toCents - fromCents;
  const feeBack = feePart(toCents) - feePart(fromCents);
  return [
    { account: PROVIDER_ACCOUNT, amountCents: back, kind: 'partial_refund' },
    { account: FEES_ACCOUNT, amountCents: -feeBack, kind: 'partial_refund' },
    {
      account: proceeds.account,
      amountCents: -(back - feeBack),
      kind: 'partial_refund',
      availableAt: proceeds.available_at,
    },
  ];
}

/**
 * Posts the reversal of a captured sale from `before` cents given back to `after` and,
 * unless `by` is null (a sale being refunded in full anyway), tells buyer and seller in
 * the same transaction (payment.partly_refunded: the part, the running total and the
 * seller's cut), `by` naming what gave it back.
 */
export async function reversePart(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
  before: number,
  after: number,
  by: 'refund' | 'chargeback' | null,
): Promise<void> {
  const lines = await partReversalLines(trx, payment, before, after);
  await post(trx, lines, { paymentId: payment.id });
  if (by === null) return;
  // The seller's line, negative: their proceeds cut (none when the sale has no proceeds).
  const seller = lines.find((l) => l.account !== PROVIDER_ACCOUNT && l.account !== FEES_ACCOUNT);
  const order = await trx
    .selectFrom('orders')
    .select(['ticket_id', 'seller_id'])
    .where('id', '=', payment.order_id)
    .executeTakeFirst();
  await enqueueEvent(trx, 'payment.partly_refunded', {
    id: payment.id,
    orderId: payment.order_id,
    userId: payment.user_id,
    sellerId: order?.seller_id ?? null,
    ticketId: order?.ticket_id ?? null,
    amount: fromCents(after - before),
    refunded: fromCents(after),
    sellerAmount: seller ? fromCents(-seller.amountCents) : null,
    by,
  });
}

/**
 * Records part of a captured sale given back (see PartBack) and, for a captured sale,
 * posts and announces the change in what is reversed (reversePart). A payment
 * whose capture is not recorded yet keeps the amounts, and recordCapture reverses and
 * announces them once it posts the sale, so the seller hears of the cut after the sale.
 * The sale stands and the buyer keeps the ticket. Returns the cents newly given back
 * (0: nothing new).
 */
export async function recordPartBack(
  trx: Transaction<PaymentsDatabase>,
  payment: PaymentRow,
  part: PartBack,
): Promise<number> {
  const refunded =
    'refundedCents' in part
      ? Math.max(payment.refunded_cents, part.refundedCents)
      : payment.refunded_cents;
  const chargedBack =
    'chargedBackCents' in part
      ? payment.dispute_id === part.disputeId
        ? payment.charged_back_cents
        : payment.charged_back_cents + part.chargedBackCents
      : payment.charged_back_cents;
  const before = reversedCents(payment);
  const after = reversedCents({
    ...payment,
    refunded_cents: refunded,
    charged_back_cents: chargedBack,
  });
  if (refunded === payment.refunded_cents && chargedBack === payment.charged_back_cents) return 0;
  await trx
    .updateTable('payments')
    .set({
      refunded_cents: refunded,
      charged_back_cents: chargedBack,
      ...('disputeId' in part ? { dispute_id: part.disputeId } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', payment.id)
    .execute();
  if (after === before) return 0;
  if (payment.status === 'captured') {
    await reversePart(
      trx,
      payment,
      before,
      after,
      'refundedCents' in part ? 'refund' : 'chargeback',
    );
  }
  return after - before;
}

/**
 * Stripe's charge.refunded for a charge refunded in part (in its dashboard): the running
 * total refunded is reversed in proportion, once, whatever the order and repetition of
 * Stripe's events; counted `partly_refunded` in `outcomes` once committed. Returns false
 * when no payment matches.
 */
export async function applyPartialRefund(
  db: Kysely<PaymentsDatabase>,
  news: { providerId: string; refundedCents: number },
  log: Logger,
  outcomes?: PaymentOutcomes,
): Promise<boolean> {
  const found = await findByProviderId(db, news.providerId);
  if (!found) return false;
  const done = await db.transaction().execute(async (trx) => {
    const row = await lockPayment(trx, found.id);
    if (row.status !== 'captured' && row.status !== 'authorized') return { row, back: 0 };
    return { row, back: await recordPartBack(trx, row, { refundedCents: news.refundedCents }) };
  });
  if (done.back > 0) {
    outcomes?.inc({ outcome: 'partly_refunded' });
    log.warn(
      {
        paymentId: found.id,
        orderId: done.row.order_id,
        refundedNowCents: done.back,
        refundedCents: news.refundedCents,
      },
      "partial refund made at the provider: that part of the sale reversed, the seller's proceeds cut in proportion",
    );
  }
  return true;
}
