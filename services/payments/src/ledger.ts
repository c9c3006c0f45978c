import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { LedgerKind, PaymentsDatabase } from './db/schema.js';

/** Money that entered or left through the card processor (buyers' cards, sellers' banks). */
export const PROVIDER_ACCOUNT = 'provider';
/** What the platform earned. */
export const FEES_ACCOUNT = 'platform:fees';
/** What the card processor kept of the platform's sales (its fees): the platform's cost. */
export const PROCESSING_ACCOUNT = 'platform:processing';
export const sellerAccount = (sellerId: string) => `seller:${sellerId}`;

export interface LedgerLine {
  account: string;
  amountCents: number;
  kind: LedgerKind;
  availableAt?: Date;
}

/**
 * Writes one balanced posting: its lines must sum to zero, or nothing is written.
 * Positive amounts are owed to the account's holder.
 */
export async function post(
  trx: Transaction<PaymentsDatabase>,
  lines: LedgerLine[],
  ref: { paymentId?: string; payoutId?: string },
): Promise<void> {
  const sum = lines.reduce((total, line) => total + line.amountCents, 0);
  if (sum !== 0) throw new Error(`Unbalanced posting: its lines sum to ${sum} cents`);
  const postingId = randomUUID();
  await trx
    .insertInto('ledger_entries')
    .values(
      lines.map((line) => ({
        posting_id: postingId,
        account: line.account,
        amount_cents: line.amountCents,
        kind: line.kind,
        payment_id: ref.paymentId ?? null,
        payout_id: ref.payoutId ?? null,
        ...(line.availableAt ? { available_at: line.availableAt } : {}),
      })),
    )
    .execute();
}

/** A captured sale: the buyer's money in, the fee to the platform, the rest to the seller. */
export function saleLines(sale: {
  amountCents: number;
  feeCents: number;
  sellerId: string;
  availableAt: Date;
}): LedgerLine[] {
  return [
    { account: PROVIDER_ACCOUNT, amountCents: -sale.amountCents, kind: 'charge' },
    { account: FEES_ACCOUNT, amountCents: sale.feeCents, kind: 'fee' },
    {
      account: sellerAccount(sale.sellerId),
      amountCents: sale.amountCents - sale.feeCents,
      kind: 'proceeds',
      availableAt: sale.availableAt,
    },
  ];
}

/**
 * The processor kept `feeCents` of a captured sale (`processing_fee`) or charged it for
 * a dispute of one (`dispute_fee`; negative when it gave a fee back): less money is held
 * at the processor, and the platform bears it (the seller's proceeds are not touched).
 */
export function processingFeeLines(
  feeCents: number,
  kind: 'processing_fee' | 'dispute_fee' = 'processing_fee',
): LedgerLine[] {
  return [
    { account: PROVIDER_ACCOUNT, amountCents: feeCents, kind },
    { account: PROCESSING_ACCOUNT, amountCents: -feeCents, kind },
  ];
}

/**
 * Money leaving the seller's account for their bank (a negative `amountCents` puts
 * it back: a payout cut by refunds). Available at `availableAt`, the instant the
 * balance it came from was read at, on the same clock (see requestPayout).
 */
export function payoutLines(payout: {
  sellerId: string;
  amountCents: number;
  availableAt: Date;
}): LedgerLine[] {
  const { sellerId, amountCents, availableAt } = payout;
  return [
    { account: sellerAccount(sellerId), amountCents: -amountCents, kind: 'payout', availableAt },
    { account: PROVIDER_ACCOUNT, amountCents, kind: 'payout', availableAt },
  ];
}

export interface SellerBalance {
  pendingCents: number;
  availableCents: number;
  paidOutCents: number;
}

/** A seller's balance: proceeds not yet available, what can be paid out, what was. */
export async function sellerBalance(
  db: Kysely<PaymentsDatabase> | Transaction<PaymentsDatabase>,
  sellerId: string,
  now = new Date(),
): Promise<SellerBalance> {
  const row = await db
    .selectFrom('ledger_entries')
    .select([
      sql<string>`COALESCE(SUM(amount_cents) FILTER (WHERE available_at > ${now}), 0)`.as(
        'pending',
      ),
      sql<string>`COALESCE(SUM(amount_cents) FILTER (WHERE available_at <= ${now}), 0)`.as(
        'available',
      ),
      sql<string>`COALESCE(-SUM(amount_cents) FILTER (WHERE kind = 'payout'), 0)`.as('paid_out'),
    ])
    .where('account', '=', sellerAccount(sellerId))
    .executeTakeFirstOrThrow();
  return {
    pendingCents: Number(row.pending),
    availableCents: Number(row.available),
    paidOutCents: Number(row.paid_out),
  };
}

/** The sum of every ledger line: zero, always. */
export async function ledgerSum(db: Kysely<PaymentsDatabase>): Promise<number> {
  const row = await db
    .selectFrom('ledger_entries')
    .select(sql<string>`COALESCE(SUM(amount_cents), 0)`.as('sum'))
    .executeTakeFirstOrThrow();
  return Number(row.sum);
}
