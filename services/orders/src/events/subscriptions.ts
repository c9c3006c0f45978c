import { type Subscription, subscribe } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { OrdersDatabase } from '../db/schema.js';
import { expirationComplete } from './expiration-complete.js';
import { paymentCreated } from './payment-created.js';
import { ticketCreated } from './ticket-created.js';
import { ticketUpdated } from './ticket-updated.js';

/** Every subject the orders service consumes, with its handler. */
export function ordersSubscriptions(db: Kysely<OrdersDatabase>): Subscription[] {
  return [
    subscribe('ticket.created', ticketCreated(db)),
    subscribe('ticket.updated', ticketUpdated(db)),
    subscribe('expiration.complete', expirationComplete(db)),
    subscribe('payment.created', paymentCreated(db)),
  ];
}
