import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase } from './db/schema.js';
import type { PaymentOutcome, PaymentOutcomes } from './metrics.js';
import { lockPayment } from './payments.js';
import {
  type PaymentProvider,
  type ProviderPaymentStatus,
  ProviderUnavailableError,
  withProviderTimeout,
} from './providers/index.js';
import {
  type CaptureTerms,
  recordAuthorization,
  recordCapture,
  recordRefund,
  recordReleasedHold,
} from './settle.js';

/** Our payment ids are uuids; metadata written by others may hold anything. */
const ourId = z.uuid();

export interface ProviderNews {
  /** Our payment id, from the provider object's metadata (absent: look up by providerId). */
  paymentId?: string | undefined;
  providerId: string;
  status: ProviderPaymentStatus;
  /** The refund that gave the money back, when the news says so (absent: findRefundId). */
  refundId?: string | undefined;
}

/** What recording a provider's news needs besides the database. */
export interface NewsContext extends CaptureTerms {
  logger: Logger;
  outcomes?: PaymentOutcomes | undefined;
  /**
   * The id of the refund that gave payment `providerId`'s money back, asked of the
   * provider for news that does not name it; throws when the provider cannot say.
   */
  findRefundId: (providerId: string) => Promise<string>;
}

/**
 * findRefundId through the provider's `retrieve` (Stripe: the PaymentIntent with its
 * charge's refunds expanded). Stripe's charge.refunded names no refund since API
 * 2022-11-15: a Charge lists its refunds only when asked for.
 */
export function refundIdAt(provider: PaymentProvider, timeoutMs: number) {
  return async (providerId: string): Promise<string> => {
    const state = await withProviderTimeout(provider.retrieve(providerId), timeoutMs);
    if (state.status === 'refunded' && state.refundId) return state.refundId;
    // Stripe's word and its record disagree for now: 503, and its redelivery asks again.
    throw new ProviderUnavailableError(
      `The provider shows no full refund of ${providerId} yet: it stands ${state.detail} there`,
    );
  };
}

/**
 * What the provider says happened to a payment (a webhook): the row catches up
 * with it. Every step is idempotent, so a repeated or late delivery changes nothing.
 * A refund is recorded only with the provider's refund id: when the news names none,
 * it is asked for first, and if that fails this throws with nothing changed (the
 * webhook answers 5xx and Stripe delivers the event again).
 * Returns false when no payment matches.
 */
export async function applyProviderNews(
  db: Kysely<PaymentsDatabase>,
  news: ProviderNews,
  context: NewsContext,
): Promise<boolean> {
  const { logger, outcomes } = context;
  // Metadata another integration on the same Stripe account wrote may name no id of ours.
  const paymentId = ourId.safeParse(news.paymentId).success ? news.paymentId : undefined;
  const found = await db
    .selectFrom('payments')
    .select(['id', 'status'])
    .where((eb) =>
      paymentId
        ? eb.or([eb('id', '=', paymentId), eb('provider_id', '=', news.providerId)])
        : eb('provider_id', '=', news.providerId),
    )
    .executeTakeFirst();
  if (!found) return false;
  // Asked outside any transaction, and only when a refund is still to be recorded: a
  // redelivery of one recorded already costs no call.
  const refundId =
    news.status === 'refunded' && found.status !== 'refunded' && found.status !== 'voided'
      ? (news.refundId ?? (await context.findRefundId(news.providerId)))
      : undefined;
  if (found.status === 'pending') {
    await recordAuthorization(db, found.id, news.providerId, outcomes, news.status);
  }
  if (news.status === 'authorized') return true;
  const outcome = await db.transaction().execute(async (trx): Promise<PaymentOutcome | null> => {
    const row = await lockPayment(trx, found.id);
    if (news.status === 'captured' && row.status === 'authorized') {
      return (await recordCapture(trx, row, context, logger)) ? 'captured' : null;
    }
    if (news.status === 'voided' && row.status === 'authorized') {
      return recordReleasedHold(trx, row, logger);
    }
    if (refundId && (row.status === 'captured' || row.status === 'authorized')) {
      if (row.status === 'authorized') {
        // Captured and refunded at the provider before the capture's answer got here (a
        // timeout, a crash): nothing is owed either way, and the capture retry must not
        // credit the seller for money the buyer has back. Refunded, with no postings.
        logger.warn(
          { paymentId: row.id, providerId: news.providerId },
          'refunded at the provider before its capture was recorded',
        );
      }
      return (await recordRefund(trx, row, { refundId })) ? 'refunded' : null;
    }
    return null;
  });
  if (outcome) outcomes?.inc({ outcome });
  return true;
}
