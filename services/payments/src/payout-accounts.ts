import { ConflictError, ForbiddenError } from '@gittix/common';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase } from './db/schema.js';
import {
  type PaymentProvider,
  type PayoutAccountState,
  withProviderTimeout,
} from './providers/index.js';

export const payoutAccountStatuses = ['none', 'pending', 'enabled'] as const;

export const payoutAccountSchema = z.object({
  /** False when payouts need no account (the sandbox). */
  required: z.boolean(),
  /** `none`: not connected; `pending`: onboarding not finished; `enabled`: payouts go to it. */
  status: z.enum(payoutAccountStatuses),
});
export type PayoutAccount = z.output<typeof payoutAccountSchema>;

export const onboardingSchema = payoutAccountSchema.extend({
  /** The provider's onboarding page for this seller; single use, it expires. */
  onboardingUrl: z.url(),
  expiresAt: z.iso.datetime(),
});

export interface PayoutAccountDeps {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  /** The site as people reach it: onboarding sends the seller back to its /payouts. */
  publicUrl: string;
  logger: Logger;
}

const statusOf = (row: { payouts_enabled: boolean } | undefined) =>
  !row ? 'none' : row.payouts_enabled ? 'enabled' : 'pending';

/** The key that makes "one account per seller" hold at the provider, retries included. */
export const accountIdempotencyKey = (userId: string) => `payout_account_${userId}`;

/**
 * Records what the provider says of an account, unless something newer was
 * recorded already (webhook deliveries arrive in any order). False: no such account.
 */
export async function recordAccountState(
  db: Kysely<PaymentsDatabase>,
  state: PayoutAccountState,
  asOf: Date,
): Promise<boolean> {
  const known = await db
    .selectFrom('payout_accounts')
    .select('user_id')
    .where('account_id', '=', state.accountId)
    .executeTakeFirst();
  if (!known) return false;
  await db
    .updateTable('payout_accounts')
    .set({
      payouts_enabled: state.payoutsEnabled,
      details_submitted: state.detailsSubmitted,
      state_at: asOf,
      updated_at: sql`now()`,
    })
    .where('account_id', '=', state.accountId)
    .where((eb) => eb.or([eb('state_at', 'is', null), eb('state_at', '<=', asOf)]))
    .execute();
  return true;
}

/**
 * The seller's payout account. A pending one is asked about at the provider (the
 * seller may just be back from onboarding, ahead of the webhook); if the provider
 * does not answer, the stored status stands.
 */
export async function getPayoutAccount(
  deps: PayoutAccountDeps,
  sellerId: string,
): Promise<PayoutAccount> {
  const { db, provider } = deps;
  if (!provider.connect) return { required: false, status: 'none' };
  const row = await db
    .selectFrom('payout_accounts')
    .selectAll()
    .where('user_id', '=', sellerId)
    .executeTakeFirst();
  if (row && !row.payouts_enabled) {
    try {
      // Whole seconds, as Stripe dates its events: an event of the same second still wins.
      const asOf = new Date(Math.floor(Date.now() / 1000) * 1000);
      const state = await withProviderTimeout(
        provider.connect.retrieve(row.account_id),
        deps.providerTimeoutMs,
      );
      await recordAccountState(db, state, asOf);
      return { required: true, status: state.payoutsEnabled ? 'enabled' : 'pending' };
    } catch (error) {
      deps.logger.warn({ err: error, sellerId }, 'payout account status not refreshed');
    }
  }
  return { required: true, status: statusOf(row) };
}

/**
 * Connects the seller's payout account: creates it at the provider once (the key
 * comes from the user id, so parallel or repeated calls get the same account) and
 * records it, then returns a fresh onboarding link.
 */
export async function connectPayoutAccount(deps: PayoutAccountDeps, sellerId: string) {
  const { db, provider } = deps;
  const connect = provider.connect;
  if (!connect) throw new ConflictError('Payouts need no payout account with this provider');
  const user = await db
    .selectFrom('users')
    .select(['email', 'email_verified'])
    .where('id', '=', sellerId)
    .executeTakeFirst();
  if (!user?.email_verified) throw new ForbiddenError('Verify your email first');

  let row = await db
    .selectFrom('payout_accounts')
    .selectAll()
    .where('user_id', '=', sellerId)
    .executeTakeFirst();
  if (!row) {
    const state = await withProviderTimeout(
      connect.create({
        userId: sellerId,
        email: user.email,
        idempotencyKey: accountIdempotencyKey(sellerId),
      }),
      deps.providerTimeoutMs,
    );
    await db
      .insertInto('payout_accounts')
      .values({
        user_id: sellerId,
        provider: provider.name,
        account_id: state.accountId,
        payouts_enabled: state.payoutsEnabled,
        details_submitted: state.detailsSubmitted,
      })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
    row = await db
      .selectFrom('payout_accounts')
      .selectAll()
      .where('user_id', '=', sellerId)
      .executeTakeFirstOrThrow();
    deps.logger.info({ sellerId, accountId: row.account_id }, 'payout account created');
  }
  const back = `${deps.publicUrl}/payouts`;
  const link = await withProviderTimeout(
    connect.onboardingLink(row.account_id, {
      refreshUrl: `${back}?onboarding=refresh`,
      returnUrl: `${back}?onboarding=done`,
    }),
    deps.providerTimeoutMs,
  );
  return {
    required: true,
    status: statusOf(row),
    onboardingUrl: link.url,
    expiresAt: link.expiresAt.toISOString(),
  } as const;
}
