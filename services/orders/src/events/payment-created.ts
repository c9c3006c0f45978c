import { type EventEnvelope, handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import { completeOrder } from '../complete-order.js';
import type { OrdersDatabase } from '../db/schema.js';

/** A payment for an order went through. */
export const paymentCreated = (db: Kysely<OrdersDatabase>) =>
  handleOnce(
    db,
    'orders_payment.created',
    async (trx, event: EventEnvelope<'payment.created'>, context) => {
      await completeOrder(
        trx,
        { orderId: event.data.orderId, paymentId: event.data.id },
        context.logger,
      );
    },
  );
