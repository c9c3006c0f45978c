import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEnvelope,
  type DeadLetterRecord,
  EventConsumers,
  type EventEnvelope,
  handleOnce,
  subscribe,
} from '../../src/index.js';
import { testLogger, waitFor } from '../../src/testing/index.js';
import { createEventsFixture, streamMessages, ticketCreated } from './fixtures.js';

type Fixture = Awaited<ReturnType<typeof createEventsFixture>>;

describe('event consumers', () => {
  let fixture: Fixture;
  let consumers: EventConsumers | undefined;

  beforeAll(async () => {
    fixture = await createEventsFixture();
    await sql`CREATE TABLE applied (event_id uuid, title text)`.execute(fixture.db);
  });
  afterEach(async () => {
    await consumers?.stop();
    consumers = undefined;
    // New durable consumers read the whole stream: start every test from empty.
    await fixture.bus.jsm.streams.purge(fixture.bus.stream);
    await fixture.bus.jsm.streams.purge(fixture.bus.deadLetterStream);
  });
  afterAll(() => fixture.close());

  /** Each test consumes as a service of its own, so durable consumers don't share progress. */
  function start(
    handle: (event: EventEnvelope<'ticket.created'>, deliveries: number) => Promise<void>,
    options: { maxDeliveries?: number; transientRetryMs?: number } = {},
  ) {
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      maxDeliveries: options.maxDeliveries ?? 3,
      transientRetryMs: options.transientRetryMs ?? 20,
      subscriptions: [subscribe('ticket.created', (event, ctx) => handle(event, ctx.deliveries))],
    });
    return { service, started: consumers.start() };
  }

  async function publish(data = ticketCreated(), id = randomUUID()) {
    const envelope = createEnvelope('ticket.created', data, id);
    await fixture.bus.publish(envelope);
    return envelope;
  }

  async function deadLetters(): Promise<DeadLetterRecord[]> {
    const messages = await streamMessages(fixture.bus, fixture.bus.deadLetterStream);
    return messages.map((m) => m.body as unknown as DeadLetterRecord);
  }

  it('when the same event is delivered twice, then handleOnce applies it once', async () => {
    const handler = handleOnce(
      fixture.db,
      'dup-test',
      async (trx, event: EventEnvelope<'ticket.created'>) => {
        await sql`INSERT INTO applied VALUES (${event.id}, ${event.data.title})`.execute(trx);
      },
    );
    const { service, started } = start((event, deliveries) =>
      handler(event, { deliveries, logger: testLogger }),
    );
    await started;
    const envelope = createEnvelope('ticket.created', ticketCreated(), randomUUID());
    // Two publishes with different Nats-Msg-Ids get past the broker's de-duplication.
    await fixture.bus.js.publish(
      fixture.bus.subjectOf('ticket.created'),
      JSON.stringify(envelope),
      { msgID: 'a' },
    );
    await fixture.bus.js.publish(
      fixture.bus.subjectOf('ticket.created'),
      JSON.stringify(envelope),
      { msgID: 'b' },
    );
    const marker = await publish();
    await handler(marker, { deliveries: 1, logger: testLogger });
    const count = async (id: string) => {
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM applied WHERE event_id = ${id}`.execute(fixture.db);
      return rows[0]!.n;
    };
    await waitFor(
      async () => {
        const info = await fixture.bus.jsm.consumers.info(
          fixture.bus.stream,
          `${service}_ticket_created`,
        );
        return (
          info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.consumer_seq >= 3
        );
      },
      { message: 'consumer caught up with all three messages' },
    );
    expect(await count(envelope.id)).toBe(1);
    expect(await count(marker.id)).toBe(1);
  });

  it('when a handler throws inside handleOnce, then nothing is recorded and the retry applies it', async () => {
    let attempts = 0;
    const handler = handleOnce(
      fixture.db,
      'retry-test',
      async (trx, event: EventEnvelope<'ticket.created'>) => {
        await sql`INSERT INTO applied VALUES (${event.id}, 'retry')`.execute(trx);
        attempts++;
        if (attempts === 1) throw new Error('transient');
      },
    );
    const seen: number[] = [];
    const { started } = start(async (event, deliveries) => {
      seen.push(deliveries);
      await handler(event, { deliveries, logger: testLogger });
    });
    await started;
    const envelope = await publish();
    await waitFor(
      async () => {
        const { rows } = await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM applied WHERE event_id = ${envelope.id}`.execute(
          fixture.db,
        );
        return rows[0]!.n === 1;
      },
      { message: 'the retried event applied' },
    );
    expect(seen).toEqual([1, 2]);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM inbox WHERE event_id = ${envelope.id}`.execute(fixture.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('when a message is not a valid event, then it is dead-lettered at once and later events still flow', async () => {
    const handled: string[] = [];
    const { service, started } = start(async (event) => {
      handled.push(event.id);
    });
    await started;
    await fixture.bus.js.publish(fixture.bus.subjectOf('ticket.created'), '{"not":"an event"', {
      msgID: randomUUID(),
    });
    const after = await publish();
    await waitFor(() => handled.includes(after.id), { message: 'the event after the poison one' });
    const letters = await waitFor(
      async () => {
        const found = (await deadLetters()).filter(
          (d) => d.consumer === `${service}_ticket_created`,
        );
        return found.length === 1 && found;
      },
      { message: 'a dead letter' },
    );
    expect(letters[0]).toMatchObject({ deliveries: 1, payload: '{"not":"an event"' });
    expect(letters[0]!.error).toMatch(/JSON/i);
  });

  it('when a handler keeps failing, then the event is dead-lettered after maxDeliveries with its error', async () => {
    const poison = ticketCreated({ title: 'always fails' });
    const handled: string[] = [];
    const { service, started } = start(
      async (event) => {
        if (event.data.title === 'always fails') throw new Error('cannot handle this one');
        handled.push(event.id);
      },
      { maxDeliveries: 3 },
    );
    await started;
    const bad = await publish(poison);
    const good = await publish();
    await waitFor(() => handled.includes(good.id), { message: 'the good event' });
    const letters = await waitFor(
      async () => {
        const found = (await deadLetters()).filter(
          (d) => d.consumer === `${service}_ticket_created`,
        );
        return found.length === 1 && found;
      },
      { message: 'the dead letter' },
    );
    expect(letters[0]).toMatchObject({ deliveries: 3, error: 'cannot handle this one' });
    expect(JSON.parse(letters[0]!.payload).id).toBe(bad.id);
    // Terminated for good: not left ack-pending for another round of redeliveries.
    await waitFor(
      async () => {
        const info = await fixture.bus.jsm.consumers.info(
          fixture.bus.stream,
          `${service}_ticket_created`,
        );
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { timeoutMs: 5_000, message: 'the dead-lettered message terminated' },
    );
  });

  it('when the database is out of reach for longer than maxDeliveries, then the event is retried, not dead-lettered', async () => {
    let attempts = 0;
    const handled: string[] = [];
    const { service, started } = start(
      async (event) => {
        attempts++;
        if (attempts <= 5) {
          // What pg raises while Postgres restarts.
          throw Object.assign(new Error('terminating connection due to administrator command'), {
            code: '57P01',
          });
        }
        handled.push(event.id);
      },
      { maxDeliveries: 2 },
    );
    await started;
    const envelope = await publish();
    await waitFor(() => handled.includes(envelope.id), {
      timeoutMs: 20_000,
      message: 'the event applied once the outage ended',
    });
    expect(attempts).toBe(6);
    const letters = (await deadLetters()).filter((d) => d.consumer === `${service}_ticket_created`);
    expect(letters).toEqual([]);
  });

  it('when stopped, then the handler in flight finishes and is acked', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    let begun = false;
    const { started } = start(async () => {
      begun = true;
      await gate;
      finished = true;
    });
    await started;
    await publish();
    await waitFor(() => begun, { message: 'handler started' });
    const stopping = consumers!.stop();
    release();
    await stopping;
    consumers = undefined;
    expect(finished).toBe(true);
  });
});
