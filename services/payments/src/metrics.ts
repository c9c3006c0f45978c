import { counterOf, scrapeReading } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import { type Counter, Gauge, type Registry } from 'prom-client';
import type { PaymentsDatabase } from './db/schema.js';

/**
 * What happened to a payment, the `outcome` of gittix_payments_total. `capture_lost`:
 * the order completed, but the hold was released at the provider before it was
 * captured (expired, cancelled there): recorded voided, no money collected, the
 * seller not credited; an operator has to act (GittixPaymentCaptureLost).
 * `refund_disputed`: the provider refused a refund because the cardholder disputes the
 * charge; the refund is parked, not retried, until the dispute closes (Stripe's
 * charge.dispute.closed resumes or ends it), and an operator answers the dispute
 * (GittixPaymentRefundDisputed). `chargeback`: the platform lost a dispute of the whole
 * charge, and the sale was reversed as a refund is (payment.refunded); counted instead
 * of `refunded`. `partly_refunded`: part of a captured sale was refunded at the provider
 * (payment.partly_refunded); a partial chargeback counts `chargeback`.
 */
export type PaymentOutcome =
  | 'authorized'
  | 'captured'
  | 'voided'
  | 'declined'
  | 'refunded'
  | 'capture_lost'
  | 'refund_disputed'
  | 'chargeback'
  | 'partly_refunded';

export type PaymentOutcomes = Counter<'outcome'>;

/** Payments by outcome, counted once the transaction that recorded it committed. */
export function paymentOutcomes(registry: Registry): PaymentOutcomes {
  const outcomes = counterOf(registry, {
    name: 'gittix_payments_total',
    help: 'Payments by outcome, counted after the commit: authorized, captured, voided, refunded, declined (the card was refused), capture_lost (the hold released before the capture of a completed order: voided, no money collected), refund_disputed (a refund refused because the charge is disputed: parked until the dispute closes), chargeback (a dispute lost: the whole sale reversed as by a refund, or the disputed part of it in proportion), partly_refunded (part of a captured sale refunded at the provider: that part reversed in proportion, the sale stands)',
    labelNames: ['outcome'],
  });
  // At 0 from the start: an alert's increase() sees the first one, not just the second.
  outcomes.inc({ outcome: 'capture_lost' }, 0);
  outcomes.inc({ outcome: 'refund_disputed' }, 0);
  outcomes.inc({ outcome: 'chargeback' }, 0);
  return outcomes;
}

/**
 * What the settler still has to do, read at each scrape: `gittix_payments_unsettled`
 * (pending attempts, and scheduled capture/void/refund actions) and the age of the
 * oldest (`gittix_payments_oldest_unsettled_age_seconds`). A reconciliation or an
 * action stuck behind a provider outage shows as a growing age. Refunds parked because
 * the charge is disputed (an action with no next attempt) are counted apart, kind
 * `refund_disputed`, with no age: they wait on the dispute for weeks (until
 * charge.dispute.closed), and would otherwise keep
 * GittixPaymentReconciliationPending firing over every other refund. With a provider
 * that keeps a fee (`feesOf`: its name, Stripe's), kind `processing_fee` counts its
 * captured sales whose fee is not recorded yet, aged from the capture.
 */
export function registerSettlementMetrics(
  registry: Registry,
  db: Kysely<PaymentsDatabase>,
  feesOf?: string,
): void {
  // One query per scrape, shared by both gauges; the last values while the database is away.
  const read = scrapeReading(async () => {
    const fees = feesOf
      ? sql`UNION ALL
            SELECT 'processing_fee', count(*)::int,
                   extract(epoch FROM now() - min(coalesce(captured_at, updated_at)))::float8
            FROM payments
            WHERE provider = ${feesOf} AND status IN ('captured', 'refunded')
              AND processing_fee_cents IS NULL`
      : sql``;
    const { rows } = await sql<{ kind: string; count: number; age: number | null }>`
      SELECT CASE WHEN next_action IS NULL THEN 'pending'
                  WHEN next_action = 'refund' AND next_attempt_at IS NULL THEN 'refund_disputed'
                  ELSE next_action END AS kind,
             count(*)::int AS count,
             extract(epoch FROM now() - min(
               CASE WHEN next_action IS NULL THEN created_at ELSE updated_at END))::float8 AS age
      FROM payments WHERE status = 'pending' OR next_action IS NOT NULL
      GROUP BY 1
      ${fees}`.execute(db);
    return rows.map((row) => ({ ...row, age: Math.max(0, row.age ?? 0) }));
  });
  const agedKinds = ['pending', 'capture', 'void', 'refund', ...(feesOf ? ['processing_fee'] : [])];
  const kinds = [...agedKinds, 'refund_disputed'];
  new Gauge({
    name: 'gittix_payments_unsettled',
    help: 'Payments waiting on the provider: pending (authorization outcome unknown) or with a capture, void or refund to do; refund_disputed: a refund parked because the charge is disputed, until the dispute closes; processing_fee: captured sales whose processor fee is not recorded yet',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const rows = await read();
      if (!rows) return;
      for (const kind of kinds) this.set({ kind }, rows.find((r) => r.kind === kind)?.count ?? 0);
    },
  });
  new Gauge({
    name: 'gittix_payments_oldest_unsettled_age_seconds',
    help: 'Age of the oldest unsettled payment, by kind: since its attempt began (pending), its action was scheduled, or it was captured (processing_fee); 0 when none',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const rows = await read();
      if (!rows) return;
      for (const kind of agedKinds) {
        this.set({ kind }, rows.find((r) => r.kind === kind)?.age ?? 0);
      }
    },
  });
}
