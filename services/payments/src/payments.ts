import { fromCents } from '@gittix/common';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase, PaymentsTable } from './db/schema.js';

/** A payment as POST /api/payments answers it: the route's schema, and the type from it. */
export const paymentSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  amount: z.number(),
  providerId: z.string(),
});
export type Payment = z.output<typeof paymentSchema>;

/** A payment as the buyer's receipts list it. */
export const receiptSchema = paymentSchema.extend({
  createdAt: z.iso.datetime(),
  refundedAt: z.iso.datetime().nullable(),
});
export type Receipt = z.output<typeof receiptSchema>;

type PaymentRow = Selectable<PaymentsTable>;

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    amount: fromCents(row.amount_cents),
    providerId: row.provider_id,
  };
}

function toReceipt(row: PaymentRow): Receipt {
  return {
    ...toPayment(row),
    createdAt: row.created_at.toISOString(),
    refundedAt: row.refunded_at?.toISOString() ?? null,
  };
}

/** The user's payments, newest first. */
export async function listReceipts(
  db: Kysely<PaymentsDatabase>,
  userId: string,
): Promise<Receipt[]> {
  const rows = await db
    .selectFrom('payments')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toReceipt);
}
