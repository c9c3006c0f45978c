import { fromCents, NotFoundError } from '@gittix/common';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import { type PaymentsDatabase, type PaymentsTable, paymentStatuses } from './db/schema.js';

/** A payment as the API answers it (docs/api.md, Payments). */
export const paymentSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  /** What the buyer pays, in dollars. */
  amount: z.number(),
  /** The platform's part of `amount`, in dollars (0 until captured). */
  fee: z.number(),
  refunded: z.number().meta({
    description:
      'The part of amount given back to the buyer so far, in dollars: 0 while the sale stands whole, a part while it stands with part given back (partial refunds, a lost partial chargeback; the ticket stays the buyer’s), all of amount once refunded',
  }),
  status: z.enum(paymentStatuses),
  /** The provider's id; null only while the first attempt is still pending. */
  providerId: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type Payment = z.output<typeof paymentSchema>;

export type PaymentRow = Selectable<PaymentsTable>;

/** The payment the provider knows as `providerId` (a Stripe PaymentIntent), if it is ours. */
export function findByProviderId(
  db: Kysely<PaymentsDatabase>,
  providerId: string,
): Promise<{ id: string; order_id: string } | undefined> {
  return db
    .selectFrom('payments')
    .select(['id', 'order_id'])
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
}

/** The payment `paymentId` as it is now, locked until `trx` ends (its settlements queue on it). */
export function lockPayment(
  trx: Transaction<PaymentsDatabase>,
  paymentId: string,
): Promise<PaymentRow> {
  return trx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', paymentId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/**
 * The cents of the sale reversed so far by parts given back: capped at its amount (a
 * refund and a chargeback of the same money together may claim more: the buyer was paid
 * twice, Stripe's to recover).
 */
export function reversedCents(payment: PaymentRow): number {
  return Math.min(payment.refunded_cents + payment.charged_back_cents, payment.amount_cents);
}

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    amount: fromCents(row.amount_cents),
    fee: fromCents(row.fee_cents),
    refunded: fromCents(row.status === 'refunded' ? row.amount_cents : reversedCents(row)),
    status: row.status,
    providerId: row.provider_id,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * The platform's fee on `amountCents`: round(amount × percent / 100) to the cent,
 * half a cent up, in exact arithmetic. In floating point, 1500 × 8.7 / 100 is
 * 130.49999999999997, not 130.5: a non-integer PLATFORM_FEE_PERCENT lost the cent.
 */
export function feeCents(amountCents: number, feePercent: number): number {
  const { digits, scale } = exactDecimal(feePercent);
  const scaled = BigInt(amountCents) * digits; // the fee in cents × 100 × 10^scale
  const divisor = 100n * 10n ** BigInt(scale);
  const whole = scaled / divisor;
  return Number((scaled % divisor) * 2n >= divisor ? whole + 1n : whole);
}

/** A non-negative number as the decimal it reads as (`8.7` → 87 × 10^-1). */
function exactDecimal(value: number): { digits: bigint; scale: number } {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new Error(`Not a fee percent: ${value}`);
  const [, whole, fraction = '', exponent = '0'] = match;
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(whole + fraction);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}

/** The user's payments, newest first. */
export async function listPayments(
  db: Kysely<PaymentsDatabase>,
  userId: string,
): Promise<Payment[]> {
  const rows = await db
    .selectFrom('payments')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toPayment);
}

/** One of the user's payments; someone else's is as unknown as a missing one. */
export async function getPayment(
  db: Kysely<PaymentsDatabase>,
  userId: string,
  id: string,
): Promise<Payment> {
  const row = await db
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Payment not found');
  return toPayment(row);
}
