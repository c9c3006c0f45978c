import { randomBytes, randomUUID } from 'node:crypto';
import {
  createDb,
  dropDatabase,
  EventBus,
  EventConsumers,
  ensureDatabase,
  eventTablesMigration,
  handleOnce,
  migrate,
  OutboxRelay,
  subscribeWithoutInbox,
} from '@gittix/common';
import { DeliverPolicy } from '@nats-io/jetstream';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { createTicket } from '../../services/tickets/src/create-ticket.js';
import { migrations as ticketsMigrations } from '../../services/tickets/src/db/migrations.js';
import type { TicketsDatabase } from '../../services/tickets/src/db/schema.js';

/** Milliseconds on one clock for commits and handling (sub-millisecond resolution). */
export const now = () => performance.timeOrigin + performance.now();

export interface PipelineOptions {
  postgresUrl: string;
  natsUrl: string;
  logger: Logger;
  producers: number;
}

/**
 * The path an event takes between two services, built from the real pieces:
 * the tickets service's createTicket (ticket + outbox row in one transaction),
 * an OutboxRelay, JetStream, and EventConsumers + handleOnce applying a
 * versioned replica in a second database. Everything has a name of its own
 * (`gx_bench_<random>`) and close() drops it.
 */
export async function createPipeline(options: PipelineOptions) {
  const name = `gx_bench_${randomBytes(4).toString('hex')}`;
  const producerUrl = `${options.postgresUrl}/${name}_tickets`;
  const consumerUrl = `${options.postgresUrl}/${name}_replica`;
  await ensureDatabase(producerUrl);
  await ensureDatabase(consumerUrl);
  const tickets = createDb<TicketsDatabase>(producerUrl, { max: options.producers + 2 });
  const replica = createDb<unknown>(consumerUrl, { max: 10 });
  const bus = await EventBus.connect({
    url: options.natsUrl,
    stream: name.toUpperCase(),
    subjectPrefix: name,
    name: 'bench-events',
    logger: options.logger,
  });
  const relay = new OutboxRelay({
    db: tickets as Kysely<unknown>,
    databaseUrl: producerUrl,
    bus,
    logger: options.logger,
  });
  let consumers: EventConsumers | undefined;

  await migrate(tickets as Kysely<unknown>, ticketsMigrations);
  await migrate(replica, { '0000_event_tables': eventTablesMigration });
  await sql`
    CREATE TABLE ticket_replica (id uuid PRIMARY KEY, version int NOT NULL, title text NOT NULL)`.execute(
    replica,
  );
  await bus.ensureStreams();
  relay.start();

  // What a replica does: record the event as handled, apply it only if newer.
  const apply = handleOnce<unknown, 'ticket.created'>(
    replica,
    'bench_ticket_created',
    async (trx, event) => {
      await sql`
        INSERT INTO ticket_replica (id, version, title)
        VALUES (${event.data.id}, ${event.data.version}, ${event.data.title})
        ON CONFLICT (id) DO UPDATE SET version = excluded.version, title = excluded.title
        WHERE ticket_replica.version < excluded.version`.execute(trx);
    },
  );
  const sellerId = randomUUID();

  return {
    bus,
    /** Commits one ticket (and its ticket.created); resolves with its id after the commit. */
    async listTicket(i: number): Promise<string> {
      const ticket = await createTicket(tickets, sellerId, { title: `Bench ${i}`, price: 10 });
      return ticket.id;
    },
    /** Starts a fresh durable consumer on an empty stream; `onHandled` runs after each commit. */
    async startConsumer(label: string, concurrency: number, onHandled: (ticketId: string) => void) {
      await consumers?.stop();
      await bus.jsm.streams.purge(bus.stream);
      consumers = new EventConsumers({
        bus,
        service: `bench_${label}`,
        logger: options.logger,
        concurrency,
        subscriptions: [
          subscribeWithoutInbox('ticket.created', async (event, context) => {
            await apply(event, context);
            onHandled(event.data.id);
          }),
        ],
      });
      await consumers.start();
    },
    async postgresVersion(): Promise<string> {
      const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(replica);
      return rows[0]!.server_version;
    },
    /** When JetStream stored each ticket's event (server clock, same machine), by ticket id. */
    async storedTimes(): Promise<Map<string, number>> {
      const reader = await bus.js.consumers.get(bus.stream, {
        filter_subjects: bus.subjectOf('ticket.created'),
        deliver_policy: DeliverPolicy.All,
      });
      const stored = new Map<string, number>();
      let remaining = (await reader.info()).num_pending;
      while (remaining > 0) {
        const batch = await reader.fetch({
          max_messages: Math.min(remaining, 1000),
          expires: 5_000,
        });
        let got = 0;
        for await (const message of batch) {
          got++;
          remaining = message.info.pending;
          stored.set(
            message.json<{ data: { id: string } }>().data.id,
            message.info.timestampNanos / 1e6,
          );
        }
        if (got === 0) break;
      }
      await reader.delete().catch(() => {});
      return stored;
    },
    async close() {
      await consumers?.stop().catch(() => {});
      await relay.stop().catch(() => {});
      await bus.jsm.streams.delete(bus.stream).catch(() => {});
      await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
      await bus.close();
      await tickets.destroy();
      await replica.destroy();
      await dropDatabase(producerUrl);
      await dropDatabase(consumerUrl);
    },
  };
}

export type Pipeline = Awaited<ReturnType<typeof createPipeline>>;
