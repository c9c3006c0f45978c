import { type EventEnvelope, handleOnce } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { OrdersDatabase } from '../db/schema.js';
import { expireOrder } from '../expire-order.js';

/** An order's hold ran out. */
export const expirationComplete = (db: Kysely<OrdersDatabase>) =>
  handleOnce(
    db,
    'orders_expiration.complete',
    async (trx, event: EventEnvelope<'expiration.complete'>, context) => {
      await expireOrder(trx, event.data.orderId, context.logger);
    },
  );
