import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase } from './db/schema.js';
import type { PaymentOutcome, PaymentOutcomes } from './metrics.js';
import { lockPayment } from './payments.js';
import type { ProviderPaymentStatus } from './providers/index.js';
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
  refundId?: string | undefined;
}

/**
 * What the provider says happened to a payment (a webhook): the row catches up
 * with it. Every step is idempotent, so a repeated or late delivery changes nothing.
 * Returns false when no payment matches.
 */
export async function applyProviderNews(
  db: Kysely<PaymentsDatabase>,
  news: ProviderNews,
  terms: CaptureTerms,
  logger: Logger,
  outcomes?: PaymentOutcomes,
): Promise<boolean> {
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
  if (found.status === 'pending') {
    await recordAuthorization(db, found.id, news.providerId, outcomes, news.status);
  }
  if (news.status === 'authorized') return true;
  const outcome = await db.transaction().execute(async (trx): Promise<PaymentOutcome | null> => {
    const row = await lockPayment(trx, found.id);
    if (news.status === 'captured' && row.status === 'authorized') {
      return (await recordCapture(trx, row, terms, logger)) ? 'captured' : null;
    }
    if (news.status === 'voided' && row.status === 'authorized') {
      return recordReleasedHold(trx, row, logger);
    }
    if (news.status === 'refunded' && (row.status === 'captured' || row.status === 'authorized')) {
      if (row.status === 'authorized') {
        // Captured and refunded at the provider before the capture's answer got here (a
        // timeout, a crash): nothing is owed either way, and the capture retry must not
        // credit the seller for money the buyer has back. Refunded, with no postings.
        logger.warn(
          { paymentId: row.id, providerId: news.providerId },
          'refunded at the provider before its capture was recorded',
        );
      }
      return (await recordRefund(trx, row, news.refundId ?? 'unknown')) ? 'refunded' : null;
    }
    return null;
  });
  if (outcome) outcomes?.inc({ outcome });
  return true;
}
