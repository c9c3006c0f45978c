import type { Logger } from '@gittix/common';
import type { Transaction } from 'kysely';
import type { PaymentsDatabase } from './db/schema.js';
import { type PaymentProvider, withProviderTimeout } from './providers/index.js';

export interface RefundDeps {
  provider: PaymentProvider;
  providerTimeoutMs: number;
  logger: Logger;
}

/**
 * The lost race: the order expired and was cancelled while its charge went
 * through. The order stays cancelled (orders ignores a payment for a cancelled
 * order), so the buyer gets the money back. `refund_<paymentId>` makes a retried
 * refund the same refund. Runs in the consumer's transaction, after the order
 * row was updated, so a payment still being made has committed before we look.
 */
export async function refundIfPaid(
  trx: Transaction<PaymentsDatabase>,
  deps: RefundDeps,
  orderId: string,
): Promise<void> {
  const payment = await trx
    .selectFrom('payments')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('refunded_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) return;
  if (payment.provider !== deps.provider.name) {
    throw new Error(
      `Payment ${payment.id} was made through ${payment.provider}, not ${deps.provider.name}: refund it there`,
    );
  }
  const { refundId } = await withProviderTimeout(
    deps.provider.refund({
      providerId: payment.provider_id,
      idempotencyKey: `refund_${payment.id}`,
      metadata: { orderId, paymentId: payment.id },
    }),
    deps.providerTimeoutMs,
  );
  await trx
    .updateTable('payments')
    .set({ refunded_at: new Date(), refund_id: refundId })
    .where('id', '=', payment.id)
    .execute();
  deps.logger.warn(
    { orderId, paymentId: payment.id, providerId: payment.provider_id, refundId },
    'payment refunded: its order was cancelled while it was being paid',
  );
}
