import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEnvelope,
  type DeadLetterRecord,
  durableName,
  EventConsumers,
  type EventEnvelope,
  type EventHandler,
  handleBatchOnce,
  handleEvent,
  subscribe,
  subscribeBatch,
  subscribeBatchWithoutInbox,
  subscribeWithoutInbox,
} from '../../src/index.js';
import {
  metricValue,
  streamMessages,
  testLogger,
  ticketCreatedData,
  waitFor,
} from '../../src/testing/index.js';
import { createEventsFixture } from './fixtures.js';

type Fixture = Awaited<ReturnType<typeof createEventsFixture>>;

describe('event consumers', () => {
  let fixture: Fixture;
  let consumers: EventConsumers<unknown> | undefined;

  beforeAll(async () => {
    fixture = await createEventsFixture();
    await sql`CREATE TABLE applied (event_id uuid, title text)`.execute(fixture.db);
  });
  afterEach(async () => {
    await consumers?.stop();
    consumers = undefined;
    await fixture.emptyStreams();
  });
  afterAll(() => fixture.close());

  /** Each test consumes as a service of its own, so durable consumers don't share progress. */
  function start(
    handle: (event: EventEnvelope<'ticket.created'>, deliveries: number) => Promise<void>,
    options: { maxDeliveries?: number; transientRetryMs?: number; metrics?: Registry } = {},
  ) {
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      maxDeliveries: options.maxDeliveries ?? 3,
      transientRetryMs: options.transientRetryMs ?? 20,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      subscriptions: [
        subscribeWithoutInbox('ticket.created', (event, ctx) => handle(event, ctx.deliveries)),
      ],
    });
    return { service, started: consumers.start() };
  }

  /** The house way: the handler runs in a transaction that records the event in the inbox. */
  function startWithInbox(handle: EventHandler<unknown, 'ticket.created'>) {
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      db: fixture.db,
      logger: testLogger,
      maxDeliveries: 3,
      subscriptions: [subscribe('ticket.created', handle)],
    });
    return { service, started: consumers.start() };
  }

  /** A batch subscription (group commit), one slot so that a burst queues behind it. */
  function startBatches(
    handle: (
      trx: Parameters<EventHandler<unknown, 'ticket.created'>>[0],
      events: EventEnvelope<'ticket.created'>[],
    ) => Promise<void>,
  ) {
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      db: fixture.db,
      logger: testLogger,
      maxDeliveries: 3,
      concurrency: 1,
      subscriptions: [subscribeBatch('ticket.created', handle, { maxEvents: 50 })],
    });
    return { service, started: consumers.start() };
  }

  /** A batch subscription without an inbox (no database), one slot so that a burst queues. */
  function startPlainBatches(handle: (events: EventEnvelope<'ticket.created'>[]) => Promise<void>) {
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      maxDeliveries: 3,
      concurrency: 1,
      subscriptions: [subscribeBatchWithoutInbox('ticket.created', handle, { maxEvents: 50 })],
    });
    return { service, started: consumers.start() };
  }

  /** Until `service`'s durable consumer of ticket.created has nothing pending or unacked. */
  async function allAcked(service: string) {
    await waitFor(
      async () => {
        const info = await fixture.bus.jsm.consumers.info(
          fixture.bus.stream,
          durableName(service, 'ticket.created'),
        );
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { message: 'every message acked' },
    );
  }

  /** 30 good events and one titled "poison"; resolves once `service` has dead-lettered one. */
  async function publishWithPoison(service: string) {
    const good = await Promise.all(
      Array.from({ length: 30 }, (_, i) => publish({ ...ticketCreatedData(), title: `good ${i}` })),
    );
    const poison = await publish({ ...ticketCreatedData(), title: 'poison' });
    await waitFor(async () => (await deadLetteredIds(service)).length > 0, {
      timeoutMs: 20_000,
      message: 'the poison event dead-lettered',
    });
    return { good, poison };
  }

  /** The ids of the events `service`'s ticket.created consumer dead-lettered. */
  async function deadLetteredIds(service: string): Promise<string[]> {
    return (await deadLetters())
      .filter((d) => d.consumer === durableName(service, 'ticket.created'))
      .map((d) => JSON.parse(d.payload).id);
  }

  async function publish(data = ticketCreatedData(), id = randomUUID()) {
    const envelope = createEnvelope('ticket.created', data, id);
    await fixture.bus.publish(envelope);
    return envelope;
  }

  async function deadLetters(): Promise<DeadLetterRecord[]> {
    const messages = await streamMessages<DeadLetterRecord>(fixture.bus, {
      stream: fixture.bus.deadLetterStream,
    });
    return messages.map((m) => m.body);
  }

  const appliedCount = async (id: string) => {
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM applied WHERE event_id = ${id}`.execute(fixture.db);
    return rows[0]!.n;
  };

  it('when the same event is delivered twice, then the inbox handler applies it once', async () => {
    const apply: EventHandler<unknown, 'ticket.created'> = async (trx, event) => {
      await sql`INSERT INTO applied VALUES (${event.id}, ${event.data.title})`.execute(trx);
    };
    const { service, started } = startWithInbox(apply);
    await started;
    const envelope = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
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
    // Handled once more outside the loop, under the same consumer's key, as a test would.
    await handleEvent(
      subscribe('ticket.created', apply),
      marker,
      { deliveries: 1, logger: testLogger },
      { consumer: durableName(service, 'ticket.created'), db: fixture.db },
    );
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
    expect(await appliedCount(envelope.id)).toBe(1);
    expect(await appliedCount(marker.id)).toBe(1);
  });

  it('when an inbox handler commits, then its inbox row is keyed by the durable consumer name', async () => {
    const { service, started } = startWithInbox(async () => {});
    await started;
    const envelope = await publish();
    const consumers = await waitFor(
      async () => {
        const { rows } = await sql<{ consumer: string }>`
          SELECT consumer FROM inbox WHERE event_id = ${envelope.id}`.execute(fixture.db);
        return rows.length > 0 && rows.map((row) => row.consumer);
      },
      { message: 'the inbox row' },
    );
    expect(consumers).toEqual([durableName(service, 'ticket.created')]);
    expect(consumers).toEqual([`${service}_ticket_created`]);
  });

  it('when inbox subscriptions are given no database, then the consumers refuse to be made', () => {
    expect(
      () =>
        new EventConsumers({
          bus: fixture.bus,
          service: 'nodb',
          logger: testLogger,
          subscriptions: [subscribe('ticket.created', async () => {})],
        }),
    ).toThrow('nodb consumes ticket.created through the inbox: give it db');
  });

  it('when an inbox handler throws, then nothing is recorded and the retry applies it', async () => {
    const seen: number[] = [];
    const { started } = startWithInbox(async (trx, event, { deliveries }) => {
      await sql`INSERT INTO applied VALUES (${event.id}, 'retry')`.execute(trx);
      seen.push(deliveries);
      if (deliveries === 1) throw new Error('transient');
    });
    await started;
    const envelope = await publish();
    await waitFor(async () => (await appliedCount(envelope.id)) === 1, {
      message: 'the retried event applied',
    });
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
    const poison = ticketCreatedData({ title: 'always fails' });
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

  it('when an event fails once and another keeps failing, then redeliveries, dead letters and handler outcomes are counted per consumer', async () => {
    const metrics = new Registry();
    const { service, started } = start(
      async (event, deliveries) => {
        if (event.data.title === 'always fails') throw new Error('cannot handle this one');
        if (event.data.title === 'fails once' && deliveries === 1) throw new Error('not yet');
      },
      { maxDeliveries: 2, metrics },
    );
    await started;
    await publish(ticketCreatedData({ title: 'fails once' }));
    await publish(ticketCreatedData({ title: 'always fails' }));
    const consumer = `${service}_ticket_created`;
    const value = async (name: string, labels: Record<string, string>) =>
      metricValue(await metrics.metrics(), name, labels) ?? 0;
    await waitFor(async () => (await value('gittix_dead_letters_total', { consumer })) === 1, {
      message: 'the dead letter counted',
    });
    await waitFor(
      async () =>
        (await value('gittix_event_handler_duration_seconds_count', {
          subject: 'ticket.created',
          outcome: 'ok',
        })) === 1,
      { message: 'the second delivery of the one that failed once' },
    );
    // Each event came back once: the one that failed once, and the poison before it was given up.
    expect(await value('gittix_event_redeliveries_total', { consumer })).toBe(2);
    expect(
      await value('gittix_event_handler_duration_seconds_count', {
        subject: 'ticket.created',
        outcome: 'retry',
      }),
    ).toBe(2);
    expect(
      await value('gittix_event_handler_duration_seconds_count', {
        subject: 'ticket.created',
        outcome: 'dead_letter',
      }),
    ).toBe(1);
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

  it('when a burst of events arrives for a batch subscription, then each is applied once in fewer transactions than events', async () => {
    const batches: number[] = [];
    const { service, started } = startBatches(async (trx, events) => {
      batches.push(events.length);
      for (const event of events) {
        await sql`INSERT INTO applied VALUES (${event.id}, 'batch')`.execute(trx);
      }
    });
    await started;
    const envelopes = await Promise.all(Array.from({ length: 120 }, () => publish()));
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM applied WHERE title = 'batch'`.execute(fixture.db);
        return rows[0]!.n >= envelopes.length;
      },
      { timeoutMs: 20_000, message: 'all 120 events applied' },
    );
    for (const envelope of envelopes.slice(0, 5)) expect(await appliedCount(envelope.id)).toBe(1);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(120);
    expect(batches.length).toBeLessThan(120);
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM inbox WHERE consumer = ${durableName(service, 'ticket.created')}`.execute(
      fixture.db,
    );
    expect(rows[0]!.n).toBe(120);
    await allAcked(service);
  });

  it('when a batch holds two copies of one event, then the batch handler is given it once', async () => {
    const event = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    const other = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    const given: string[] = [];
    await handleBatchOnce(fixture.db, `svc${randomUUID().slice(0, 8)}`, async (_trx, events) => {
      given.push(...events.map((e) => e.id));
    })([event, other, event], { deliveries: 1, logger: testLogger });
    expect(given).toEqual([event.id, other.id]);
  });

  it('when one event of a batch makes it fail, then the others are applied and that one alone is dead-lettered', async () => {
    const { service, started } = startBatches(async (trx, events) => {
      for (const event of events) {
        if (event.data.title === 'poison') throw new Error('cannot apply poison');
        await sql`INSERT INTO applied VALUES (${event.id}, ${event.data.title})`.execute(trx);
      }
    });
    await started;
    const { good, poison } = await publishWithPoison(service);
    for (const envelope of good) expect(await appliedCount(envelope.id)).toBe(1);
    expect(await appliedCount(poison.id)).toBe(0);
    expect(await deadLetteredIds(service)).toEqual([poison.id]);
  });

  it('when a burst arrives for a batch subscription without an inbox, then each event is given once in fewer calls than events, and all are acked', async () => {
    const given: string[] = [];
    const calls: number[] = [];
    const { service, started } = startPlainBatches(async (events) => {
      calls.push(events.length);
      given.push(...events.map((event) => event.id));
    });
    await started;
    const envelopes = await Promise.all(Array.from({ length: 120 }, () => publish()));
    await waitFor(() => given.length >= envelopes.length, {
      timeoutMs: 20_000,
      message: 'all 120 events given to the handler',
    });
    await allAcked(service);
    expect(given.toSorted()).toEqual(envelopes.map((e) => e.id).toSorted());
    expect(calls.length).toBeLessThan(120);
    expect(Math.max(...calls)).toBeLessThanOrEqual(50);
  });

  it('when a batch without an inbox fails, then its events are handled one by one and only the poison one is dead-lettered', async () => {
    const handled: string[] = [];
    const { service, started } = startPlainBatches(async (events) => {
      if (events.some((event) => event.data.title === 'poison')) throw new Error('poison');
      handled.push(...events.map((event) => event.id));
    });
    await started;
    const { good, poison } = await publishWithPoison(service);
    await allAcked(service);
    for (const envelope of good) expect(handled.filter((id) => id === envelope.id).length).toBe(1);
    expect(handled).not.toContain(poison.id);
    expect(await deadLetteredIds(service)).toEqual([poison.id]);
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

  it('when stopped as soon as it started, before its pull loops had subscribed, then stop still ends', async () => {
    // start() returns once the durables exist; each loop then subscribes on its own.
    // A loop that subscribed after stop() had closed the others used to pull forever.
    const service = `svc${randomUUID().slice(0, 8)}`;
    const stopping = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      subscriptions: (['ticket.created', 'ticket.updated', 'order.created'] as const).map(
        (subject) => subscribeWithoutInbox(subject, async () => {}),
      ),
    });
    await stopping.start();
    let stopped = false;
    const stop = stopping.stop().then(() => {
      stopped = true;
    });
    await waitFor(() => stopped, { timeoutMs: 10_000, message: 'stop() to end' });
    await stop;
  });
});
