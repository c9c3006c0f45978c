import {
  BadRequestError,
  ConflictError,
  enqueueEvent,
  ForbiddenError,
  fromCents,
} from '@gittix/common';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase, PayoutsTable } from './db/schema.js';
import { payoutLines, post, sellerAccount, sellerBalance } from './ledger.js';
import { CLAIM_MARGIN_MS } from './pay-for-order.js';
import { type PaymentProvider, withProviderTimeout } from './providers/index.js';

export const balanceSchema = z.object({
  pending: z.number(),
  available: z.number(),
  paidOut: z.number(),
});

export const payoutSchema = z.object({
  id: z.uuid(),
  amount: z.number(),
  /** `cancelled`: refunds after it was set aside left nothing to send (see sendPayout). */
  status: z.enum(['pending', 'paid', 'cancelled']),
  createdAt: z.iso.datetime(),
});
export type Payout = z.output<typeof payoutSchema>;

function toPayout(row: {
  id: string;
  amount_cents: number;
  status: PayoutsTable['status'];
  created_at: Date;
}): Payout {
  return {
    id: row.id,
    amount: fromCents(row.amount_cents),
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

export async function getBalance(db: Kysely<PaymentsDatabase>, sellerId: string) {
  const balance = await sellerBalance(db, sellerId);
  return {
    pending: fromCents(balance.pendingCents),
    available: fromCents(balance.availableCents),
    paidOut: fromCents(balance.paidOutCents),
  };
}

export async function listPayouts(db: Kysely<PaymentsDatabase>, sellerId: string) {
  const rows = await db
    .selectFrom('payouts')
    .selectAll()
    .where('user_id', '=', sellerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toPayout);
}

export interface RequestPayoutDeps {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  logger: Logger;
  /** This host's clock (tests set one that disagrees with the database's). */
  clock?: () => Date;
}

type PayoutRow = Selectable<PayoutsTable>;

/** How long a request or the settler may talk to the provider about one payout. */
export function payoutClaimUntil(providerTimeoutMs: number): Date {
  return new Date(Date.now() + providerTimeoutMs + CLAIM_MARGIN_MS);
}

/** Where the seller's payouts go: null in the sandbox; their enabled Connect account with Stripe. */
async function destinationOf(
  trx: Transaction<PaymentsDatabase>,
  provider: PaymentProvider,
  sellerId: string,
): Promise<string | null> {
  if (!provider.connect) return null;
  const account = await trx
    .selectFrom('payout_accounts')
    .select(['account_id', 'payouts_enabled'])
    .where('user_id', '=', sellerId)
    .executeTakeFirst();
  if (!account) throw new ConflictError('Connect a payout account first');
  if (!account.payouts_enabled) {
    throw new ConflictError('Your payout account is not enabled yet: finish its onboarding');
  }
  return account.account_id;
}

/** One payout computation per seller at a time, until the transaction ends. */
async function lockSellerPayouts(trx: Transaction<PaymentsDatabase>, sellerId: string) {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${sellerAccount(sellerId)}))`.execute(trx);
}

/**
 * Pays out everything available. The payout and its ledger posting commit first
 * (the seller's available balance drops at once, so a parallel request finds
 * nothing left), claimed by this request; then the provider moves the money,
 * outside any transaction, with the payout's id as idempotency key; then it is
 * `paid` and payout.paid is published. A provider failure leaves it `pending`,
 * unclaimed: the seller's next request or the settler pays it, same id, same key.
 * A request finding the seller's pending payout claimed by another answers with it.
 */
export async function requestPayout(deps: RequestPayoutDeps, sellerId: string): Promise<Payout> {
  const { db } = deps;
  const { payout, mine, earlier } = await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select('email_verified')
      .where('id', '=', sellerId)
      .forUpdate()
      .executeTakeFirst();
    if (!user?.email_verified) throw new ForbiddenError('Verify your email first');
    await lockSellerPayouts(trx, sellerId);
    // Locked: the settler (SKIP LOCKED) leaves it to us, or we see the claim it made.
    const stuck = await trx
      .selectFrom('payouts')
      .selectAll()
      .where('user_id', '=', sellerId)
      .where('status', '=', 'pending')
      .forUpdate()
      .executeTakeFirst();
    if (stuck) {
      if (stuck.claimed_until && stuck.claimed_until > new Date()) {
        return { payout: stuck, mine: false, earlier: true };
      }
      const claimed = await trx
        .updateTable('payouts')
        .set({ claimed_until: payoutClaimUntil(deps.providerTimeoutMs), updated_at: sql`now()` })
        .where('id', '=', stuck.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { payout: claimed, mine: true, earlier: true };
    }
    // The debit is stamped with the instant the balance was read at, on the same clock:
    // left to the database's now(), a database clock ahead of this host's would keep
    // it "pending" for a while, and a second request would find the money available.
    const now = deps.clock?.() ?? new Date();
    const { availableCents } = await sellerBalance(trx, sellerId, now);
    if (availableCents <= 0) throw new BadRequestError('Nothing to pay out');
    const destination = await destinationOf(trx, deps.provider, sellerId);
    const row = await trx
      .insertInto('payouts')
      .values({
        user_id: sellerId,
        amount_cents: availableCents,
        status: 'pending',
        provider: deps.provider.name,
        provider_id: null,
        destination,
        claimed_until: payoutClaimUntil(deps.providerTimeoutMs),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await post(trx, payoutLines({ sellerId, amountCents: availableCents, availableAt: now }), {
      payoutId: row.id,
    });
    return { payout: row, mine: true, earlier: false };
  });
  if (!mine) return toPayout(payout);
  // An earlier request's payout may have gone through (its answer lost): ask first.
  return toPayout(await sendPayout(deps, payout, earlier));
}

/**
 * Moves a claimed pending payout's money at the provider and records it paid.
 * `lookUpFirst` (the settler, after a crash or a timeout) asks the provider for
 * the payout before sending it. On failure the claim is released and the error
 * rethrown: the payout stays pending, the money set aside, to be retried.
 *
 * With `lookUpFirst`, `payout` may be a stale copy (the settler claims a batch, and
 * works through it for longer than a claim lasts): it is sent only while the claim it
 * carries still stands, renewed before each provider call, and as the row is now
 * (an earlier cut changed its amount and key). A payout another request or pass took
 * over meanwhile is left to that one: sending it again from the copy paid it twice.
 */
export async function sendPayout(
  deps: RequestPayoutDeps,
  payout: PayoutRow,
  lookUpFirst = false,
): Promise<PayoutRow> {
  const { db, provider, providerTimeoutMs } = deps;
  const log = deps.logger.child({ payoutId: payout.id, sellerId: payout.user_id });
  let claim = payout.claimed_until;
  let providerId: string;
  try {
    let held: PayoutRow | null = payout;
    if (lookUpFirst) {
      held = await renewClaim(db, payout.id, claim, providerTimeoutMs);
      if (!held) return await leftAlone(db, payout.id, log);
      claim = held.claimed_until;
    }
    const destination = held.destination ?? (await adoptDestination(db, provider, held));
    const found = lookUpFirst
      ? await withProviderTimeout(provider.findPayout(held.id), providerTimeoutMs)
      : null;
    if (!found && lookUpFirst) {
      // Nothing sent yet after an earlier try: refunds since the money was set aside
      // come off it first, and the claim is renewed for the send.
      held = await cutToWhatIsOwed(db, held.id, claim, providerTimeoutMs, log);
      if (!held) return await leftAlone(db, payout.id, log);
      claim = held.claimed_until;
      if (held.status !== 'pending') return held;
    }
    const sent = held;
    ({ providerId } =
      found ??
      (await withProviderTimeout(
        provider.payout({
          payoutId: sent.id,
          userId: sent.user_id,
          amountCents: sent.amount_cents,
          destination,
          idempotencyKey: sent.idempotency_key ?? `payout_${sent.id}`,
          metadata: { payoutId: sent.id, userId: sent.user_id },
        }),
        providerTimeoutMs,
      )));
    if (found) log.warn({ providerId }, 'reconciled: the provider had paid out a pending payout');
  } catch (error) {
    let release = db
      .updateTable('payouts')
      .set((eb) => ({
        claimed_until: null,
        attempts: eb('attempts', '+', 1),
        last_error: error instanceof Error ? error.message : String(error),
        updated_at: sql`now()`,
      }))
      .where('id', '=', payout.id)
      .where('status', '=', 'pending');
    // Only this caller's claim: one another request took over stays theirs.
    if (claim) release = release.where('claimed_until', '=', claim);
    await release.execute();
    log.warn({ err: error }, 'payout failed at the provider, it stays pending and is retried');
    throw error;
  }
  const paid = await recordPayoutPaid(db, payout.id, providerId);
  log.info({ amountCents: paid.amount_cents, providerId }, 'payout paid');
  return paid;
}

/** The payout as it stands, left to whoever settled it or holds it now. */
async function leftAlone(db: Kysely<PaymentsDatabase>, payoutId: string, log: Logger) {
  log.info('payout left alone: settled, or taken over by another request, meanwhile');
  return db.selectFrom('payouts').selectAll().where('id', '=', payoutId).executeTakeFirstOrThrow();
}

/**
 * Renews the claim `claim` on a pending payout so that it covers the provider call to
 * come, and returns the row as it is now; null when the payout is no longer pending
 * or no longer held under `claim` (it ran out and another request took it over).
 */
async function renewClaim(
  db: Kysely<PaymentsDatabase> | Transaction<PaymentsDatabase>,
  payoutId: string,
  claim: Date | null,
  providerTimeoutMs: number,
): Promise<PayoutRow | null> {
  if (!claim) return null;
  const renewed = await db
    .updateTable('payouts')
    .set({ claimed_until: payoutClaimUntil(providerTimeoutMs) })
    .where('id', '=', payoutId)
    .where('status', '=', 'pending')
    .where('claimed_until', '=', claim)
    .returningAll()
    .executeTakeFirst();
  return renewed ?? null;
}

/**
 * A pending payout that has not reached the provider, cut to what its seller is still
 * owed. While it waited (the provider down, a transfer refused), a buyer may have been
 * refunded: the refund took the sale's proceeds back, so the seller's available
 * balance, the payout already counted, is below zero. Sending the whole payout would
 * pay out money the platform gave back. The shortfall comes off the payout (a posting
 * returning it to the seller's account), and a payout cut to nothing is `cancelled`.
 * A cut payout gets a new idempotency key: the provider refuses a key reused with
 * another amount. Under the seller's payout lock, as requestPayout; only while the
 * caller's `claim` stands (renewed for the send), else null.
 */
async function cutToWhatIsOwed(
  db: Kysely<PaymentsDatabase>,
  payoutId: string,
  claim: Date | null,
  providerTimeoutMs: number,
  log: Logger,
): Promise<PayoutRow | null> {
  return db.transaction().execute(async (trx) => {
    const { user_id: sellerId } = await trx
      .selectFrom('payouts')
      .select('user_id')
      .where('id', '=', payoutId)
      .executeTakeFirstOrThrow();
    await lockSellerPayouts(trx, sellerId);
    const payout = await renewClaim(trx, payoutId, claim, providerTimeoutMs);
    if (!payout) return null;
    const now = new Date();
    const { availableCents } = await sellerBalance(trx, sellerId, now);
    if (availableCents >= 0) return payout;
    const cut = Math.min(payout.amount_cents, -availableCents);
    await post(trx, payoutLines({ sellerId, amountCents: -cut, availableAt: now }), {
      payoutId: payout.id,
    });
    const left = payout.amount_cents - cut;
    const row = await trx
      .updateTable('payouts')
      .set({
        amount_cents: left,
        status: left === 0 ? 'cancelled' : 'pending',
        claimed_until: left === 0 ? null : payout.claimed_until,
        idempotency_key: `payout_${payout.id}_${left}`,
        updated_at: sql`now()`,
      })
      .where('id', '=', payout.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirstOrThrow();
    log.warn(
      { cutCents: cut, leftCents: left },
      left === 0
        ? 'payout cancelled: refunds since it was set aside took back everything it carried'
        : 'payout cut by refunds made since it was set aside',
    );
    return row;
  });
}

/**
 * A payout recorded without a destination (by a release that answered 503 in Stripe
 * mode before accounts existed) goes to the seller's enabled account once there is one.
 */
async function adoptDestination(
  db: Kysely<PaymentsDatabase>,
  provider: PaymentProvider,
  payout: PayoutRow,
): Promise<string | null> {
  if (!provider.connect) return null;
  const destination = await db
    .transaction()
    .execute((trx) => destinationOf(trx, provider, payout.user_id));
  await db
    .updateTable('payouts')
    .set({ destination })
    .where('id', '=', payout.id)
    .where('destination', 'is', null)
    .execute();
  return destination;
}

/** A pending payout is `paid` as `providerId`, with payout.paid; once, however often it is said. */
export async function recordPayoutPaid(
  db: Kysely<PaymentsDatabase>,
  payoutId: string,
  providerId: string,
): Promise<PayoutRow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('payouts')
      .set({ status: 'paid', provider_id: providerId, claimed_until: null, updated_at: sql`now()` })
      .where('id', '=', payoutId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      return trx
        .selectFrom('payouts')
        .selectAll()
        .where('id', '=', payoutId)
        .executeTakeFirstOrThrow();
    }
    await enqueueEvent(trx, 'payout.paid', {
      id: row.id,
      userId: row.user_id,
      amount: fromCents(row.amount_cents),
    });
    return row;
  });
}
