import { BadRequestError, enqueueEvent, isUniqueViolation, NotFoundError } from '@gittix/common';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { PAYMENTS_ORDER_ID_INDEX } from './db/migrations.js';
import type { PaymentsDatabase, PaymentsTable } from './db/schema.js';
import { type Payment, toPayment } from './payments.js';
import { CardDeclinedError, type PaymentProvider, withProviderTimeout } from './providers/index.js';

export interface PayForOrderDeps {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
}

export interface PayForOrderInput {
  orderId: string;
  token: string;
  userId: string;
}

type Attempt = { paid: Payment } | { declined: CardDeclinedError };

/**
 * Charges the buyer for their order and records the payment with its
 * payment.created event. Attempts on one order take turns on the order's replica
 * row (SELECT … FOR UPDATE), so a parallel duplicate only gets to charge after the
 * first attempt committed, and then finds the order paid. The provider call
 * carries `order_<orderId>_<n>` (n = earlier declines) as its idempotency key: a
 * retry after a decline is a new charge, a repeat of one attempt is not.
 */
export async function payForOrder(
  deps: PayForOrderDeps,
  input: PayForOrderInput,
): Promise<Payment> {
  const attempt = await deps.db.transaction().execute(async (trx): Promise<Attempt> => {
    const order = await trx
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', input.orderId)
      .forUpdate()
      .executeTakeFirst();
    if (!order || order.user_id !== input.userId) throw new NotFoundError('Order not found');

    const payment = await trx
      .selectFrom('payments')
      .select('refunded_at')
      .where('order_id', '=', order.id)
      .executeTakeFirst();
    if (payment && !payment.refunded_at) throw new BadRequestError('Order already paid');
    // The replica may not have heard of the expiration yet; the clock has.
    const expired = !order.expires_at || order.expires_at.getTime() <= Date.now();
    if (order.status === 'cancelled' || expired || order.price_cents === null) {
      throw new BadRequestError('Cannot pay for a cancelled order');
    }

    const declines = await countDeclines(trx, order.id);
    let providerId: string;
    try {
      ({ providerId } = await withProviderTimeout(
        deps.provider.charge({
          amountCents: order.price_cents,
          currency: 'usd',
          token: input.token,
          idempotencyKey: `order_${order.id}_${declines}`,
          description: `GitTix order ${order.id}`,
          metadata: { orderId: order.id, userId: input.userId },
        }),
        deps.providerTimeoutMs,
      ));
    } catch (error) {
      if (!(error instanceof CardDeclinedError)) throw error;
      await trx
        .insertInto('payment_declines')
        .values({ order_id: order.id, attempt: declines, reason: error.message })
        .execute();
      return { declined: error };
    }
    const paid = await recordPayment(trx, {
      order_id: order.id,
      user_id: input.userId,
      amount_cents: order.price_cents,
      provider: deps.provider.name,
      provider_id: providerId,
    });
    return { paid };
  });
  // Thrown after commit, so that the decline stays recorded.
  if ('declined' in attempt) throw attempt.declined;
  return attempt.paid;
}

async function countDeclines(trx: Transaction<PaymentsDatabase>, orderId: string) {
  const { count } = await trx
    .selectFrom('payment_declines')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Stores the payment and its payment.created event in the attempt's transaction. */
async function recordPayment(
  trx: Transaction<PaymentsDatabase>,
  values: Insertable<PaymentsTable>,
): Promise<Payment> {
  try {
    const row = await trx
      .insertInto('payments')
      .values(values)
      .returningAll()
      .executeTakeFirstOrThrow();
    const payment = toPayment(row);
    await enqueueEvent(trx, 'payment.created', {
      id: payment.id,
      orderId: payment.orderId,
      providerId: payment.providerId,
    });
    return payment;
  } catch (error) {
    // Unreachable while attempts take turns on the order row; the index is the backstop.
    if (isUniqueViolation(error, PAYMENTS_ORDER_ID_INDEX)) {
      throw new BadRequestError('Order already paid');
    }
    throw error;
  }
}
