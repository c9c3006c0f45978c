import { BadRequestError, enqueueEvent, ForbiddenError, fromCents } from '@gittix/common';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase, PayoutsTable } from './db/schema.js';
import { PROVIDER_ACCOUNT, post, sellerAccount, sellerBalance } from './ledger.js';
import { type PaymentProvider, withProviderTimeout } from './providers/index.js';

export const balanceSchema = z.object({
  pending: z.number(),
  available: z.number(),
  paidOut: z.number(),
});

export const payoutSchema = z.object({
  id: z.uuid(),
  amount: z.number(),
  status: z.enum(['pending', 'paid']),
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
}

/**
 * Pays out everything available. The payout and its ledger posting commit first
 * (the seller's available balance drops at once, so a parallel request finds
 * nothing left); then the provider moves the money, outside any transaction, with
 * the payout's id as idempotency key; then it is `paid` and payout.paid is
 * published. A provider failure leaves it `pending`, retried by the next request
 * for the same seller before any new payout.
 */
export async function requestPayout(deps: RequestPayoutDeps, sellerId: string): Promise<Payout> {
  const { db } = deps;
  const payout = await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select('email_verified')
      .where('id', '=', sellerId)
      .forUpdate()
      .executeTakeFirst();
    if (!user?.email_verified) throw new ForbiddenError('Verify your email first');
    // One payout computation per seller at a time.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${sellerAccount(sellerId)}))`.execute(trx);
    const stuck = await trx
      .selectFrom('payouts')
      .selectAll()
      .where('user_id', '=', sellerId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (stuck) return stuck;
    const { availableCents } = await sellerBalance(trx, sellerId);
    if (availableCents <= 0) throw new BadRequestError('Nothing to pay out');
    const row = await trx
      .insertInto('payouts')
      .values({
        user_id: sellerId,
        amount_cents: availableCents,
        status: 'pending',
        provider: deps.provider.name,
        provider_id: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await post(
      trx,
      [
        { account: sellerAccount(sellerId), amountCents: -availableCents, kind: 'payout' },
        { account: PROVIDER_ACCOUNT, amountCents: availableCents, kind: 'payout' },
      ],
      { payoutId: row.id },
    );
    return row;
  });

  const { providerId } = await withProviderTimeout(
    deps.provider.payout({
      userId: sellerId,
      amountCents: payout.amount_cents,
      idempotencyKey: `payout_${payout.id}`,
      metadata: { payoutId: payout.id, userId: sellerId },
    }),
    deps.providerTimeoutMs,
  );
  const paid = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('payouts')
      .set({ status: 'paid', provider_id: providerId })
      .where('id', '=', payout.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      return trx
        .selectFrom('payouts')
        .selectAll()
        .where('id', '=', payout.id)
        .executeTakeFirstOrThrow();
    }
    await enqueueEvent(trx, 'payout.paid', {
      id: row.id,
      userId: sellerId,
      amount: fromCents(row.amount_cents),
    });
    return row;
  });
  deps.logger.info({ payoutId: paid.id, sellerId, amountCents: paid.amount_cents }, 'payout paid');
  return toPayout(paid);
}
