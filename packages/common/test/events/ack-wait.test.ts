import { randomUUID } from 'node:crypto';
import { AckPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HeldPull } from '../../src/events/pull.js';
import {
  createEnvelope,
  durableName,
  EventConsumers,
  type EventEnvelope,
  subscribeBatch,
  subscribeWithoutInbox,
} from '../../src/index.js';
import {
  metricValue,
  type PrivateNatsServer,
  startPrivateNatsServer,
  testLogger,
  ticketCreatedData,
  waitFor,
} from '../../src/testing/index.js';
import { createEventsFixture } from './fixtures.js';

type Fixture = Awaited<ReturnType<typeof createEventsFixture>>;

/** Short, so that a handler can outlast it: JetStream redelivers what is not acked by then. */
const ACK_WAIT_MS = 1_000;
/** How long the slow handling takes: past two ack waits. */
const SLOW_MS = 2.5 * ACK_WAIT_MS;

const slowly = () => new Promise((resolve) => setTimeout(resolve, SLOW_MS));

describe('messages waiting behind a handler slower than ack wait', () => {
  let fixture: Fixture;
  let consumers: EventConsumers<unknown> | undefined;

  beforeAll(async () => {
    fixture = await createEventsFixture();
    await sql`CREATE TABLE applied (event_id uuid, deliveries int)`.execute(fixture.db);
  });
  afterEach(async () => {
    await consumers?.stop();
    consumers = undefined;
    await fixture.emptyStreams();
  });
  afterAll(() => fixture.close());

  async function publishEvents(count: number): Promise<EventEnvelope<'ticket.created'>[]> {
    const events: EventEnvelope<'ticket.created'>[] = [];
    // One by one, so that the first is the one handled first.
    for (let i = 0; i < count; i++) {
      const event = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
      await fixture.bus.publish(event);
      events.push(event);
    }
    return events;
  }

  /** Until `service`'s consumer has nothing left to deliver or to be acked. */
  async function caughtUp(service: string): Promise<void> {
    await waitFor(
      async () => {
        const info = await fixture.bus.jsm.consumers.info(
          fixture.bus.stream,
          durableName(service, 'ticket.created'),
        );
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 20_000, message: 'every message acked' },
    );
  }

  async function deadLetters(): Promise<number> {
    return (await fixture.bus.jsm.streams.info(fixture.bus.deadLetterStream)).state.messages;
  }

  const redeliveries = async (metrics: Registry, service: string) =>
    metricValue(await metrics.metrics(), 'gittix_event_redeliveries_total', {
      consumer: durableName(service, 'ticket.created'),
    }) ?? 0;

  it('when the first handler runs past ack wait while the next events wait, then each event is handled once, on its first delivery, and none is dead-lettered', async () => {
    const events = await publishEvents(6);
    const handlings: Array<{ id: string; deliveries: number }> = [];
    const metrics = new Registry();
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      ackWaitMs: ACK_WAIT_MS,
      maxDeliveries: 2,
      concurrency: 1,
      metrics,
      subscriptions: [
        subscribeWithoutInbox('ticket.created', async (event, { deliveries }) => {
          handlings.push({ id: event.id, deliveries });
          // A long, slow database for the first one; the others are pulled meanwhile.
          if (event.id === events[0]!.id) await slowly();
        }),
      ],
    });
    await consumers.start();

    await waitFor(() => events.every((e) => handlings.some((h) => h.id === e.id)), {
      timeoutMs: 20_000,
      message: 'every event handled',
    });
    await caughtUp(service);

    expect(handlings.map((h) => h.id)).toEqual(events.map((e) => e.id));
    expect(handlings.map((h) => h.deliveries)).toEqual(events.map(() => 1));
    expect(await redeliveries(metrics, service)).toBe(0);
    expect(await deadLetters()).toBe(0);
  });

  it('when a batch transaction runs past ack wait while the next events wait, then each is applied once and none is redelivered', async () => {
    const events = await publishEvents(12);
    const batches: number[] = [];
    const metrics = new Registry();
    const service = `svc${randomUUID().slice(0, 8)}`;
    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      db: fixture.db,
      logger: testLogger,
      ackWaitMs: ACK_WAIT_MS,
      maxDeliveries: 2,
      concurrency: 1,
      metrics,
      subscriptions: [
        subscribeBatch(
          'ticket.created',
          async (trx, batch, { deliveries }) => {
            batches.push(batch.length);
            for (const event of batch) {
              await sql`INSERT INTO applied VALUES (${event.id}, ${deliveries})`.execute(trx);
            }
            if (batches.length === 1) await slowly();
          },
          { maxEvents: 4 },
        ),
      ],
    });
    await consumers.start();

    const ids = events.map((e) => e.id);
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(DISTINCT event_id)::int AS n FROM applied
          WHERE event_id = ANY(${ids}::uuid[])`.execute(fixture.db);
        return rows[0]!.n === events.length;
      },
      { timeoutMs: 20_000, message: 'every event applied' },
    );
    await caughtUp(service);

    const { rows } = await sql<{ event_id: string; deliveries: number }>`
      SELECT event_id, deliveries FROM applied WHERE event_id = ANY(${ids}::uuid[])`.execute(
      fixture.db,
    );
    expect(rows.map((row) => row.event_id).toSorted()).toEqual(ids.toSorted());
    expect(rows.map((row) => row.deliveries)).toEqual(events.map(() => 1));
    expect(await redeliveries(metrics, service)).toBe(0);
    expect(await deadLetters()).toBe(0);
  });

  it('when a handler holds a message past maxHoldMs, then it is no longer kept in progress and JetStream delivers it again', async () => {
    const durable = durableName(`svc${randomUUID().slice(0, 8)}`, 'ticket.created');
    await fixture.bus.jsm.consumers.add(fixture.bus.stream, {
      durable_name: durable,
      filter_subject: fixture.bus.subjectOf('ticket.created'),
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ACK_WAIT_MS),
    });
    const [event] = await publishEvents(1);
    const pull = new HeldPull(await fixture.bus.js.consumers.get(fixture.bus.stream, durable), {
      limit: 4,
      ackWaitMs: ACK_WAIT_MS,
      maxHoldMs: 2 * ACK_WAIT_MS,
    });
    const started = Date.now();
    const copies: JsMsg[] = [];
    try {
      // Neither copy is settled: a handler stuck for good.
      for await (const message of pull) {
        expect(message.json<EventEnvelope>().id).toBe(event!.id);
        copies.push(message);
        if (copies.length === 2) break;
      }
      expect(copies.map((copy) => copy.info.deliveryCount)).toEqual([1, 2]);
      // Kept in progress for maxHoldMs, then left to ack_wait.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * ACK_WAIT_MS);
    } finally {
      await pull.close();
      for (const copy of copies) copy.ack();
    }
  });
});

describe('pulling across a NATS restart', () => {
  let nats: PrivateNatsServer;
  let fixture: Fixture;

  beforeAll(async () => {
    nats = await startPrivateNatsServer();
    fixture = await createEventsFixture(nats.url);
  });
  afterAll(async () => {
    await fixture?.close();
    await nats?.destroy();
  });

  it('when NATS restarts, then the consumer pulls again and handles the events published after', async () => {
    const handled: string[] = [];
    const consumers = new EventConsumers({
      bus: fixture.bus,
      service: `svc${randomUUID().slice(0, 8)}`,
      logger: testLogger,
      subscriptions: [
        subscribeWithoutInbox('ticket.created', async (event) => {
          handled.push(event.id);
        }),
      ],
    });
    await consumers.start();
    try {
      const before = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
      await fixture.bus.publish(before);
      await waitFor(() => handled.includes(before.id), { message: 'the event before' });

      await nats.stop();
      await nats.start();
      const after = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
      // Publishing fails until the client has reconnected.
      await waitFor(() => fixture.bus.publish(after, 1_000).then(() => true), {
        timeoutMs: 20_000,
        message: 'a publish after the restart',
      });
      await waitFor(() => handled.includes(after.id), {
        timeoutMs: 20_000,
        message: 'the event after the restart handled',
      });
      expect(handled.filter((id) => id === after.id)).toHaveLength(1);
    } finally {
      await consumers.stop();
    }
  });
});
