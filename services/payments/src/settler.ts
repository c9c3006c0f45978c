import type { Logger } from '@gittix/common';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { PaymentAction, PaymentsDatabase } from './db/schema.js';
import type { PaymentOutcome, PaymentOutcomes } from './metrics.js';
import { CLAIM_MARGIN_MS } from './pay-for-order.js';
import { lockPayment, type PaymentRow } from './payments.js';
import { payoutClaimUntil, sendPayout } from './payouts.js';
import { recordProcessingFees } from './processing-fees.js';
import { applyProviderNews, type ProviderNews, refundIdAt } from './provider-events.js';
import {
  ChargeDisputedError,
  type PaymentProvider,
  PaymentStateConflictError,
  type ProviderPaymentState,
  withProviderTimeout,
} from './providers/index.js';
import {
  type CaptureTerms,
  recordAuthorization,
  recordCapture,
  recordRefund,
  recordVoid,
} from './settle.js';

export interface SettlerOptions extends CaptureTerms {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  logger: Logger;
  /** How often it looks for work. */
  intervalMs: number;
  /** A pending attempt unclaimed this long is asked about at the provider. */
  reconcileAfterMs: number;
  /** First retry delay of a failed capture/void/refund; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Where what it settles is counted (gittix_payments_total). */
  outcomes?: PaymentOutcomes;
}

const BATCH = 20;
/** Past this many failed attempts an action is logged at error level (it is still retried). */
const ALARM_AFTER_ATTEMPTS = 20;

/** The provider refused an action, and the payment's state there does not say why. */
class UnsettledStateError extends Error {
  constructor(action: PaymentAction, detail: string, cause: PaymentStateConflictError) {
    super(
      `The provider refused to ${action} a payment that stands ${detail} there: ${cause.message}`,
      {
        cause,
      },
    );
  }
}

/**
 * What a refused action's payment, as the provider holds it, means for the row: the
 * news to record (the action done already, or never possible: a capture of a released
 * or never-funded hold is recorded voided, a lost capture; a hold to void that was
 * captured is recorded captured, and recordCapture schedules the cancelled order's
 * refund), or null when the state does not explain the refusal.
 */
export function newsOfRefusal(
  action: PaymentAction,
  state: ProviderPaymentState,
): Pick<ProviderNews, 'status' | 'refundId'> | null {
  const { status, refundId } = state;
  if (status === 'refunded') return { status, refundId };
  if (action === 'refund') return null;
  if (status === 'voided' || status === 'unheld') return { status: 'voided' };
  if (status === 'captured') return { status };
  return null;
}

/** The delay before retry number `attempts` (1-based): exponential, capped. */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(attempts - 1, 30), maxMs);
}

/**
 * The background half of payments. It does what event handlers only schedule
 * (capture on order.completed, void on order.cancelled, refund), calling the
 * provider outside any transaction and retrying transient failures with
 * exponential backoff for as long as it takes (hours of provider outage included:
 * nothing is dead-lettered). A refusal for the payment's state at the provider, which
 * no retry changes, is looked up and recorded as it stands; a refund refused because
 * the charge is disputed is parked until the dispute closes. It also reconciles: a
 * `pending` attempt nobody is working on (its request crashed or timed out after the
 * provider answered) is looked up at the provider by its payment id and settled.
 */
export class Settler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SettlerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pass: every due action, then every stale pending attempt, then every stale
   * pending payout, then the processor's fees of captured sales. Tests call it directly.
   */
  async runOnce(): Promise<{
    settled: number;
    reconciled: number;
    payouts: number;
    processingFees: number;
  }> {
    const settled = await this.settleDueActions();
    const reconciled = await this.reconcile();
    const payouts = await this.reconcilePayouts();
    const processingFees = await recordProcessingFees({
      ...this.options,
      stopped: () => this.stopped,
    });
    return { settled, reconciled, payouts, processingFees };
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'settler pass failed'))
        .then(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private claimUntil() {
    return new Date(Date.now() + this.options.providerTimeoutMs + CLAIM_MARGIN_MS);
  }

  /** Claims due actions (moving their next attempt past the call) so replicas never share one. */
  private async claimDue(): Promise<PaymentRow[]> {
    return this.options.db
      .updateTable('payments')
      .set({ next_attempt_at: this.claimUntil() })
      .where(
        'id',
        'in',
        this.options.db
          .selectFrom('payments')
          .select('id')
          .where('next_action', 'is not', null)
          .where('next_attempt_at', '<=', new Date())
          .orderBy('next_attempt_at')
          .limit(BATCH)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
  }

  private async settleDueActions(): Promise<number> {
    const due = await this.claimDue();
    let settled = 0;
    for (const payment of due) {
      if (this.stopped) break;
      if (await this.settle(payment)) settled++;
    }
    return settled;
  }

  private async settle(payment: PaymentRow): Promise<boolean> {
    const { db, logger } = this.options;
    const action = payment.next_action!;
    const log = logger.child({ paymentId: payment.id, orderId: payment.order_id, action });
    try {
      if (!payment.provider_id) throw new Error('Payment has no provider id');
      let refundId: string;
      try {
        refundId = await this.callProvider(payment, action, payment.provider_id);
      } catch (error) {
        if (error instanceof ChargeDisputedError && action === 'refund') {
          await this.parkDisputedRefund(payment, error, log);
          return false;
        }
        if (!(error instanceof PaymentStateConflictError)) throw error;
        await this.settleAsItStands(payment, action, payment.provider_id, error, log);
        return true;
      }
      const outcome = await db
        .transaction()
        .execute(async (trx): Promise<PaymentOutcome | null> => {
          const row = await lockPayment(trx, payment.id);
          // The action changed meanwhile (a webhook settled it, a new action was scheduled).
          if (row.next_action !== action) return null;
          if (action === 'capture') {
            return (await recordCapture(trx, row, this.options, log)) ? 'captured' : null;
          }
          if (action === 'void') return (await recordVoid(trx, row)) ? 'voided' : null;
          return (await recordRefund(trx, row, { refundId })) ? 'refunded' : null;
        });
      if (outcome) this.options.outcomes?.inc({ outcome });
      log.info('payment settled at the provider');
      return true;
    } catch (error) {
      const attempts = payment.action_attempts + 1;
      const delay = backoffDelay(attempts, this.options.backoffMs, this.options.maxBackoffMs);
      await db
        .updateTable('payments')
        .set({
          action_attempts: attempts,
          next_attempt_at: new Date(Date.now() + delay),
          last_error: error instanceof Error ? error.message : String(error),
        })
        .where('id', '=', payment.id)
        .where('next_action', '=', action)
        .execute();
      const alarming = attempts >= ALARM_AFTER_ATTEMPTS || error instanceof UnsettledStateError;
      log[alarming ? 'error' : 'warn'](
        { err: error, attempts, retryInMs: delay },
        'payment action failed, will retry',
      );
      return false;
    }
  }

  /** The capture, void or refund at the provider, with the action's own key; a refund's id. */
  private async callProvider(
    payment: PaymentRow,
    action: PaymentAction,
    providerId: string,
  ): Promise<string> {
    const { provider, providerTimeoutMs } = this.options;
    const request = {
      providerId,
      idempotencyKey: `${action}_${payment.id}`,
      metadata: { paymentId: payment.id, orderId: payment.order_id },
    };
    if (action === 'capture') {
      await withProviderTimeout(provider.capture(request), providerTimeoutMs);
      return '';
    }
    if (action === 'void') {
      await withProviderTimeout(provider.void(request), providerTimeoutMs);
      return '';
    }
    return (await withProviderTimeout(provider.refund(request), providerTimeoutMs)).refundId;
  }

  /**
   * The provider refused the action for the payment's state there, which no retry
   * changes: the payment is looked up and recorded as it stands, through the webhook's
   * path (applyProviderNews: one posting, one event, whoever records it first). A state
   * that does not explain the refusal throws UnsettledStateError: retried, at error level.
   */
  private async settleAsItStands(
    payment: PaymentRow,
    action: PaymentAction,
    providerId: string,
    refusal: PaymentStateConflictError,
    log: Logger,
  ): Promise<void> {
    const { provider, providerTimeoutMs, db, outcomes } = this.options;
    const state = await withProviderTimeout(provider.retrieve(providerId), providerTimeoutMs);
    const found = { providerStatus: state.status, providerDetail: state.detail };
    const news = newsOfRefusal(action, state);
    if (!news) throw new UnsettledStateError(action, state.detail, refusal);
    await applyProviderNews(
      db,
      { paymentId: payment.id, providerId, ...news },
      {
        feePercent: this.options.feePercent,
        logger: log,
        outcomes,
        findRefundId: refundIdAt(provider, providerTimeoutMs),
      },
    );
    log.warn(
      { ...found, refusal: refusal.message },
      'refused by the provider: recorded as it stands there',
    );
  }

  /**
   * The provider refused the refund because the cardholder disputes the charge. No retry
   * succeeds while the dispute is open, and the chargeback may give the buyer their money
   * back already: a refund on top would pay them twice. So the refund is parked (no next
   * attempt; `last_error` says why) until the dispute closes: won, the webhook makes it
   * due again; lost, the chargeback is recorded as the refund (applyDisputeNews). No
   * posting: no money moved.
   */
  private async parkDisputedRefund(
    payment: PaymentRow,
    refusal: ChargeDisputedError,
    log: Logger,
  ): Promise<void> {
    const parked = await this.options.db
      .updateTable('payments')
      .set({
        action_attempts: payment.action_attempts + 1,
        next_attempt_at: null,
        last_error: `Refund parked, the charge is disputed: ${refusal.message}`,
        updated_at: new Date(),
      })
      .where('id', '=', payment.id)
      .where('next_action', '=', 'refund')
      // Only while this pass's claim stands: a dispute closed in the platform's favour
      // while Stripe was refusing made the refund due again, and must not be parked over.
      .where('next_attempt_at', '=', payment.next_attempt_at!)
      .returning('id')
      .executeTakeFirst();
    // Refunded meanwhile (charge.refunded, a chargeback), or due again: nothing to park.
    if (!parked) return;
    this.options.outcomes?.inc({ outcome: 'refund_disputed' });
    log.error(
      {
        providerId: payment.provider_id,
        buyerId: payment.user_id,
        amountCents: payment.amount_cents,
        refusal: refusal.message,
      },
      'refund refused, the charge is disputed: parked until the dispute closes, not retried',
    );
  }

  /**
   * Claims up to BATCH pending rows of `table` (payment attempts or payouts) whose
   * claim ran out and that are old enough to be orphans, so replicas never share one.
   */
  private async claimStale<T extends 'payments' | 'payouts'>(table: T, claimedUntil: Date) {
    const { db, reconcileAfterMs } = this.options;
    // Claims are stamped with this process's clock, so they are compared with it too.
    const now = new Date();
    const orphanedBefore = new Date(now.getTime() - reconcileAfterMs);
    const { rows } = await sql<Selectable<PaymentsDatabase[T]>>`
      UPDATE ${sql.table(table)} SET claimed_until = ${claimedUntil}
      WHERE id IN (
        SELECT id FROM ${sql.table(table)}
        WHERE status = 'pending'
          AND (claimed_until IS NULL OR claimed_until <= ${now})
          AND updated_at <= ${orphanedBefore}
        LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(db);
    return rows;
  }

  private async reconcile(): Promise<number> {
    const stale = await this.claimStale('payments', this.claimUntil());
    let reconciled = 0;
    for (const payment of stale) {
      if (this.stopped) break;
      if (await this.reconcileOne(payment)) reconciled++;
    }
    return reconciled;
  }

  /**
   * Settles one stale pending attempt claimed by claimStale. The rows of a batch are
   * looked up one after another, each lookup taking up to the provider timeout, so
   * this one's claim may have run out meanwhile and a buyer's retry reclaimed it and
   * be authorizing right now (after this lookup missed it): the attempt is dropped
   * or released only while the claim set by claimStale (`claimed_until`) still stands.
   */
  private async reconcileOne(payment: PaymentRow): Promise<boolean> {
    const { provider, providerTimeoutMs, db, logger } = this.options;
    const log = logger.child({ paymentId: payment.id, orderId: payment.order_id });
    const claim = payment.claimed_until;
    if (!claim) throw new Error(`Payment ${payment.id} was reconciled without a claim`);
    try {
      const found = await withProviderTimeout(
        provider.findAuthorization(payment.id),
        providerTimeoutMs,
      );
      if (!found) {
        // From the last time its key went to the provider: a retry of an old attempt
        // may have authorized it a moment ago, which the lookup cannot show yet.
        const sentAt = Math.max(payment.created_at.getTime(), payment.attempted_at?.getTime() ?? 0);
        if (sentAt > Date.now() - provider.lookupLagMs) {
          // The provider's lookup may not show it yet: ask again later.
          await this.release(payment.id, claim, log);
          return false;
        }
        // The provider never authorized it: the attempt is dropped (the next attempt is
        // a new row with a key of its own).
        const dropped = await db
          .deleteFrom('payments')
          .where('id', '=', payment.id)
          .where('status', '=', 'pending')
          .where('claimed_until', '=', claim)
          .returning('id')
          .executeTakeFirst();
        if (!dropped) {
          log.info('not reconciled: a live request took the attempt over, it is left to it');
          return false;
        }
        log.info('reconciled: the provider has no such payment, attempt dropped');
        return true;
      }
      const { outcomes } = this.options;
      const settled = await recordAuthorization(
        db,
        payment.id,
        found.providerId,
        outcomes,
        found.status,
      );
      if (found.status === 'voided' && settled.status === 'authorized') {
        const voided = await db.transaction().execute(async (trx) => {
          const row = await lockPayment(trx, payment.id);
          return recordVoid(trx, row);
        });
        if (voided) outcomes?.inc({ outcome: 'voided' });
      }
      log.warn(
        { providerId: found.providerId, providerStatus: found.status },
        'reconciled: a payment the provider holds but this service had not recorded',
      );
      return true;
    } catch (error) {
      await this.release(payment.id, claim, log);
      log.warn({ err: error }, 'reconciliation failed, will retry');
      return false;
    }
  }

  /**
   * Gives a pending attempt back, to be looked at again after `reconcileAfterMs`,
   * unless its claim is no longer `claim` (a live request reclaimed it: it is left to it).
   */
  private async release(paymentId: string, claim: Date, log: Logger) {
    const released = await this.options.db
      .updateTable('payments')
      .set({ claimed_until: null, updated_at: sql`now()` })
      .where('id', '=', paymentId)
      .where('status', '=', 'pending')
      .where('claimed_until', '=', claim)
      .returning('id')
      .executeTakeFirst();
    if (!released) log.info('not released: a live request took the attempt over, it is left to it');
  }

  /**
   * Settles each stale pending payout exactly once: the provider is asked first
   * whether it paid it (a transfer under the payout's id); only if not is it sent,
   * with the payout's key, so even a send racing a late first call pays once.
   */
  private async reconcilePayouts(): Promise<number> {
    // Pending payouts nobody is working on: their request died, timed out or met an outage.
    const stale = await this.claimStale(
      'payouts',
      payoutClaimUntil(this.options.providerTimeoutMs),
    );
    let paid = 0;
    for (const payout of stale) {
      if (this.stopped) break;
      try {
        const settled = await sendPayout(this.options, payout, true);
        // Still pending: another request took it over meanwhile, and settles it.
        if (settled.status !== 'pending') paid++;
      } catch (error) {
        const level = payout.attempts + 1 >= ALARM_AFTER_ATTEMPTS ? 'error' : 'warn';
        this.options.logger[level](
          { err: error, payoutId: payout.id, attempts: payout.attempts + 1 },
          'pending payout not paid yet, will retry',
        );
      }
    }
    return paid;
  }
}
