import type { Logger } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';
import { post, processingFeeLines } from './ledger.js';
import { lockPayment } from './payments.js';
import { type PaymentProvider, withProviderTimeout } from './providers/index.js';

/** How long after a lookup that found no fee yet (or failed) the processor is asked again. */
export const PROCESSING_FEE_RECHECK_MS = 60_000;
const BATCH = 20;

export interface ProcessingFeeOptions {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  logger: Logger;
  /** Stops the batch between lookups (the settler is stopping). */
  stopped?: () => boolean;
}

/**
 * Posts what the processor kept of captured sales (Stripe's fee on each charge), so the
 * `provider` account follows the money the processor really holds. A sale captured by
 * any path (the settler, the webhook, a dashboard capture recorded on a refusal) is
 * looked up once it is captured, refunded sales too: the processor keeps its fee on a
 * refund. A batch is claimed by setting `processing_fee_checked_at` (replicas skip what
 * another claimed); a lookup that finds no fee yet is tried again
 * PROCESSING_FEE_RECHECK_MS later, and a failed one ends the batch, whose rest waits as
 * long. Returns how many fees it recorded.
 */
export async function recordProcessingFees(options: ProcessingFeeOptions): Promise<number> {
  const { db, provider, logger } = options;
  const lookUp = provider.processingFee?.bind(provider);
  if (!lookUp) return 0;
  const now = new Date();
  const claimed = await db
    .updateTable('payments')
    .set({ processing_fee_checked_at: now })
    .where(
      'id',
      'in',
      db
        .selectFrom('payments')
        .select('id')
        .where('provider', '=', provider.name)
        // Refunded ones too: only a captured charge is refunded, even when the capture
        // itself was never recorded here (its answer lost, the refund reported first).
        .where('status', 'in', ['captured', 'refunded'])
        .where('processing_fee_cents', 'is', null)
        .where((eb) =>
          eb.or([
            eb('processing_fee_checked_at', 'is', null),
            eb(
              'processing_fee_checked_at',
              '<=',
              new Date(now.getTime() - PROCESSING_FEE_RECHECK_MS),
            ),
          ]),
        )
        .orderBy(sql`processing_fee_checked_at NULLS FIRST`)
        .limit(BATCH)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'provider_id'])
    .execute();
  let recorded = 0;
  for (const [index, { id, provider_id: providerId }] of claimed.entries()) {
    if (options.stopped?.()) break;
    if (!providerId) continue;
    let fee: number | null;
    try {
      fee = await withProviderTimeout(lookUp(providerId), options.providerTimeoutMs);
    } catch (error) {
      // The rest of the batch would most likely fail the same way, each after up to the
      // provider timeout, holding up the next pass's captures and voids: they are all
      // asked again PROCESSING_FEE_RECHECK_MS later.
      logger.warn(
        { err: error, paymentId: id, deferred: claimed.length - index - 1 },
        'processing fee lookup failed: this batch is asked again later',
      );
      break;
    }
    if (fee === null) continue;
    if (await recordProcessingFee(db, id, fee)) recorded++;
  }
  return recorded;
}

/**
 * Records that the processor kept `feeCents` of payment `paymentId`: the posting and
 * the row, once (a second call, or another replica's, finds it recorded).
 */
export async function recordProcessingFee(
  db: Kysely<PaymentsDatabase>,
  paymentId: string,
  feeCents: number,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const payment = await lockPayment(trx, paymentId);
    if (payment.processing_fee_cents !== null) return false;
    if (feeCents !== 0) await post(trx, processingFeeLines(feeCents), { paymentId });
    await trx
      .updateTable('payments')
      .set({ processing_fee_cents: feeCents })
      .where('id', '=', paymentId)
      .execute();
    return true;
  });
}
