import { type Kysely, sql } from 'kysely';
import type { EventEnvelope, Subject } from './contracts.js';
import type {
  BatchEventHandler,
  EventHandler,
  HandlerContext,
  PlainEventHandler,
} from './subscription.js';

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

/**
 * handleOnce for a batch: one transaction records every event id in the inbox and
 * hands the handler those that were new (a redelivered one is left out); all or
 * nothing commits.
 */
export function handleBatchOnce<DB, S extends Subject>(
  db: Kysely<DB>,
  consumer: string,
  handler: BatchEventHandler<DB, S>,
): (events: EventEnvelope<S>[], context: HandlerContext) => Promise<void> {
  return (events, context) =>
    db.transaction().execute(async (trx) => {
      const ids = events.map((event) => event.id);
      const inserted = await sql<{ event_id: string }>`
        INSERT INTO inbox (consumer, event_id)
        SELECT ${consumer}, id FROM unnest(${ids}::uuid[]) AS id
        ON CONFLICT DO NOTHING RETURNING event_id`.execute(trx);
      const fresh = new Set(inserted.rows.map((row) => row.event_id));
      // A copy of an event in the same batch (two deliveries of one message) is left out too.
      const handled = events.filter((event) => fresh.delete(event.id));
      if (handled.length < events.length) {
        context.logger.debug(
          { duplicates: events.length - handled.length },
          'duplicate events ignored',
        );
      }
      if (handled.length > 0) await handler(trx, handled, context);
    });
}
