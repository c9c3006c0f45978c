import { type Kysely, sql } from 'kysely';
import type { EventEnvelope, Subject } from './contracts.js';
import type { EventHandler, PlainEventHandler } from './subscription.js';

/**
 * Wraps a handler so that it runs at most once per event: inside a transaction
 * that first records the event id in the inbox under `consumer`. A duplicate finds
 * its id there and commits nothing; a failure rolls the inbox row back with the rest.
 */
export function handleOnce<DB, S extends Subject>(
  db: Kysely<DB>,
  consumer: string,
  handler: EventHandler<DB, S>,
): PlainEventHandler<S> {
  return (event: EventEnvelope<S>, context) =>
    db.transaction().execute(async (trx) => {
      const inserted = await sql`
        INSERT INTO inbox (consumer, event_id) VALUES (${consumer}, ${event.id})
        ON CONFLICT DO NOTHING RETURNING 1`.execute(trx);
      if (inserted.rows.length === 0) {
        context.logger.debug({ eventId: event.id }, 'duplicate event ignored');
        return;
      }
      await handler(trx, event, context);
    });
}
