import { subscribe } from '@gittix/common';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from '../db/schema.js';
import { onOrderCancelled } from './order-cancelled.js';
import { onOrderCreated } from './order-created.js';

/** Everything the tickets service consumes, one durable consumer per subject. */
export function ticketsSubscriptions(db: Kysely<TicketsDatabase>) {
  return [
    subscribe('order.created', onOrderCreated(db)),
    subscribe('order.cancelled', onOrderCancelled(db)),
  ];
}
