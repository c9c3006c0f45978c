import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';
import { post, processingFeeLines } from './ledger.js';
import type { PaymentOutcomes } from './metrics.js';
import { recordPartBack } from './partial-reversals.js';
import { findByProviderId, lockPayment, type PaymentRow } from './payments.js';
import { recordRefund } from './settle.js';

/**
 * Where a cardholder's dispute of a payment stands, as the provider tells it. `opened`:
 * just filed (Stripe charge.dispute.created). `won`: closed with the money the
 * platform's (won, or an inquiry closed without becoming a chargeback). `lost`: closed
 * with the money the buyer's (the chargeback stands). `moved`: anything between (funds
 * withdrawn or reinstated, evidence added), which decides nothing.
 */
export type DisputeStage = 'opened' | 'won' | 'lost' | 'moved';

export interface DisputeNews {
  /** The provider's dispute id (Stripe `du_…`; `dp_…` on older disputes). */
  disputeId: string;
  /** The disputed payment at the provider (a PaymentIntent id). */
  providerId: string;
  stage: DisputeStage;
  /** How much is disputed, in cents: usually the whole charge, sometimes part of it. */
  amountCents: number;
  /** The provider's own words, for the logs: its status, currency and reason. */
  detail: { status: string; currency: string; reason: string };
}

export interface DisputeContext {
  logger: Logger;
  outcomes?: PaymentOutcomes | undefined;
}

/**
 * What the provider says of a dispute of a payment (a webhook). Only a closed dispute
 * changes anything: won, a refund the dispute held up is due again; lost in full, the
 * sale is reversed as a refund would reverse it; lost in part, that part is. Every step
 * locks the payment and is idempotent, so a repeated or reordered delivery (a close
 * before its open) changes nothing more. Returns false when no payment matches.
 */
export async function applyDisputeNews(
  db: Kysely<PaymentsDatabase>,
  news: DisputeNews,
  context: DisputeContext,
): Promise<boolean> {
  const found = await findByProviderId(db, news.providerId);
  if (!found) return false;
  const log = context.logger.child({
    paymentId: found.id,
    orderId: found.order_id,
    disputeId: news.disputeId,
    disputedCents: news.amountCents,
    dispute: news.detail,
  });
  if (news.stage === 'opened') {
    log.warn('the buyer disputes the charge: answer the dispute in Stripe');
  } else if (news.stage === 'moved') {
    log.info('dispute news: nothing to record until it closes');
  } else if (news.stage === 'won') {
    await resumeRefund(db, found.id, log);
  } else if (await recordChargeback(db, found.id, news, log)) {
    context.outcomes?.inc({ outcome: 'chargeback' });
  }
  return true;
}

/**
 * The platform kept the money: a refund still owed (a cancelled order's, parked while
 * the provider refused it for the dispute) is due now, and the settler makes it. Any
 * refund to do is made due, not only a parked one: one being refused at this very
 * moment would otherwise be parked after this (the settler parks only while its claim
 * stands). With no refund owed, the sale simply stands.
 */
async function resumeRefund(db: Kysely<PaymentsDatabase>, paymentId: string, log: Logger) {
  const owed = await db.transaction().execute(async (trx) => {
    const row = await lockPayment(trx, paymentId);
    if (row.next_action !== 'refund') return null;
    await trx
      .updateTable('payments')
      .set({ next_attempt_at: new Date(), updated_at: new Date() })
      .where('id', '=', paymentId)
      .execute();
    return row;
  });
  if (owed) {
    log.warn(
      { wasParked: owed.next_attempt_at === null },
      "dispute closed in the platform's favour: the refund owed to the buyer is due again",
    );
  } else {
    log.info("dispute closed in the platform's favour: the sale stands");
  }
}

/**
 * The platform lost the dispute: the chargeback gave the buyer the disputed amount back.
 * All of it: the sale is reversed as a refund reverses it (recordRefund, the dispute
 * for its id): postings reversed, payment.refunded published, a refund still owed ended
 * (the buyer has the money). A seller paid out already is left owing it, as after any
 * refund. Part of it (less than what still stands of the sale): that part is reversed
 * in proportion and the sale stands (recordPartBack), unless a refund of the whole is
 * owed, which an operator settles by hand (error level). Returns whether it recorded
 * the chargeback now.
 */
async function recordChargeback(
  db: Kysely<PaymentsDatabase>,
  paymentId: string,
  news: DisputeNews,
  log: Logger,
): Promise<boolean> {
  let part = 0;
  const recorded = await db.transaction().execute(async (trx): Promise<PaymentRow | null> => {
    const row = await lockPayment(trx, paymentId);
    const applies = chargebackApplies(row, news, log);
    if (applies === 'part') {
      part = await recordPartBack(trx, row, {
        chargedBackCents: news.amountCents,
        disputeId: news.disputeId,
      });
      return part > 0 ? row : null;
    }
    if (!applies) return null;
    return (await recordRefund(trx, row, { disputeId: news.disputeId })) ? row : null;
  });
  if (!recorded) return false;
  if (part > 0) {
    log.warn(
      { buyerId: recorded.user_id, amountCents: recorded.amount_cents, chargedBackCents: part },
      "partial chargeback lost: that part of the sale reversed, the seller's proceeds cut in proportion; the sale stands",
    );
    return true;
  }
  log.warn(
    {
      buyerId: recorded.user_id,
      amountCents: recorded.amount_cents,
      refundOwedEnded: recorded.next_action === 'refund',
      captureRecorded: recorded.status === 'captured',
    },
    "chargeback lost: the sale is reversed as by a refund, the seller's proceeds taken back",
  );
  return true;
}

/**
 * Whether a lost dispute is one to record on the payment as it is now (`part`: of part
 * of the charge, while no refund is owed); says why not.
 */
function chargebackApplies(row: PaymentRow, news: DisputeNews, log: Logger): boolean | 'part' {
  if (row.status === 'refunded') {
    // The same dispute again is a redelivery; any other, the money went back twice.
    if (row.dispute_id !== news.disputeId) {
      log.error(
        { refundId: row.refund_id, earlierDisputeId: row.dispute_id },
        'chargeback lost on a payment already given back: the buyer was paid twice; recover it from them',
      );
    }
    return false;
  }
  if (row.status !== 'captured' && row.status !== 'authorized') {
    log.error(
      { status: row.status },
      'chargeback lost on a payment never captured here: check it in Stripe',
    );
    return false;
  }
  // This dispute's part was reversed already: a redelivery.
  if (row.dispute_id === news.disputeId) return false;
  // Less than what still stands of the sale (parts refunded or charged back before
  // count as given back): the sale stands, reversed in part.
  const standing = row.amount_cents - row.refunded_cents - row.charged_back_cents;
  if (news.amountCents < standing) {
    if (row.next_action !== 'refund') return 'part';
    // The buyer is owed the whole amount back: the refund owed is now the rest, which
    // the settler cannot tell Stripe (it refunds what is left of the charge, no more).
    log.error(
      { amountCents: row.amount_cents, refundParked: row.next_attempt_at === null },
      'partial chargeback lost on a payment whose refund is owed, not applied: settle the rest by hand',
    );
    return false;
  }
  return true;
}

/** A dispute's fees as the provider lists them with the dispute (Stripe's balance transactions). */
export interface DisputeFunds {
  /** The disputed payment at the provider (a PaymentIntent id). */
  providerId: string;
  disputeId: string;
  /** The sum of the fees of its balance transactions so far, in cents (a fee given back is negative). */
  feeCents: number;
  /** How many balance transactions that sum covers: the list only grows. */
  transactions: number;
}

/**
 * Posts what the processor charged for a dispute (Stripe: $15 when the money is
 * withdrawn, whoever wins) as it changes: the difference from what is posted, as
 * `dispute_fee` lines (provider +, platform:processing −), the platform's cost like the
 * processing fee. News that lists no more balance transactions than the last applied is
 * a redelivery or older (events come in any order) and changes nothing. Returns whether
 * it posted anything.
 */
export async function recordDisputeFees(
  db: Kysely<PaymentsDatabase>,
  funds: DisputeFunds,
  log: Logger,
): Promise<boolean> {
  const found = await findByProviderId(db, funds.providerId);
  if (!found) return false;
  const posted = await db.transaction().execute(async (trx) => {
    const row = await lockPayment(trx, found.id);
    if (funds.transactions <= row.dispute_funds_seen) return null;
    const change = funds.feeCents - row.dispute_fee_cents;
    if (change !== 0) {
      await post(trx, processingFeeLines(change, 'dispute_fee'), { paymentId: row.id });
    }
    await trx
      .updateTable('payments')
      .set({ dispute_fee_cents: funds.feeCents, dispute_funds_seen: funds.transactions })
      .where('id', '=', row.id)
      .execute();
    return change === 0 ? null : change;
  });
  if (posted === null) return false;
  log.warn(
    { paymentId: found.id, disputeId: funds.disputeId, feeCents: posted },
    posted > 0 ? 'dispute fee charged by the provider' : 'dispute fee given back by the provider',
  );
  return true;
}
