import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEnvelope,
  durableName,
  EventConsumers,
  registerDeadLetterMetrics,
  registerLagMetrics,
  subscribeWithoutInbox,
} from '../../src/index.js';
import {
  metricValue,
  type NatsProxy,
  startNatsProxy,
  testInfra,
  testLogger,
  ticketCreatedData,
  waitFor,
} from '../../src/testing/index.js';
import { createEventsFixture } from './fixtures.js';

describe('dead letters waiting, in /metrics', () => {
  let proxy: NatsProxy;
  let fixture: Awaited<ReturnType<typeof createEventsFixture>>;
  let consumers: EventConsumers | undefined;

  beforeAll(async () => {
    // Through a proxy that can hold what the client sends: JetStream not answering.
    proxy = await startNatsProxy(new URL(testInfra.natsUrl.split(',')[0]!));
    fixture = await createEventsFixture(proxy.url);
  });
  afterEach(async () => {
    await consumers?.stop();
    consumers = undefined;
    await fixture.emptyStreams();
  });
  afterAll(async () => {
    await fixture?.close();
    proxy?.close();
  });

  const value = async (registry: Registry, name: string, consumer: string) =>
    metricValue(await registry.metrics(), name, { consumer });

  it('when a consumer dead-letters an event, then it counts as waiting until its record is deleted (as replay and discard do)', async () => {
    const service = `svc${randomUUID().slice(0, 8)}`;
    const durable = durableName(service, 'ticket.created');
    const other = durableName(service, 'order.created');
    const registry = new Registry();
    registerDeadLetterMetrics(registry, fixture.bus, [durable, other], { freshMs: 0 });
    expect(await value(registry, 'gittix_dead_letters_waiting', durable)).toBe(0);

    consumers = new EventConsumers({
      bus: fixture.bus,
      service,
      logger: testLogger,
      maxDeliveries: 1,
      subscriptions: [
        subscribeWithoutInbox('ticket.created', async () => {
          throw new Error('cannot handle this one');
        }),
      ],
    });
    await consumers.start();
    await fixture.bus.publish(createEnvelope('ticket.created', ticketCreatedData(), randomUUID()));

    await waitFor(
      async () => (await value(registry, 'gittix_dead_letters_waiting', durable)) === 1,
      {
        message: 'the dead letter counted as waiting',
      },
    );
    expect(await value(registry, 'gittix_dead_letters_waiting', other)).toBe(0);
    // Long after the counter's increase has left any alert window, it still waits.
    const served = new Registry();
    registerLagMetrics(served, fixture.bus, [durable]);
    expect(await value(served, 'gittix_dead_letters_waiting', durable)).toBe(1);

    const record = await fixture.bus.jsm.streams.getMessage(fixture.bus.deadLetterStream, {
      last_by_subj: fixture.bus.deadLetterSubjectOf(durable),
    });
    await fixture.bus.jsm.streams.deleteMessage(fixture.bus.deadLetterStream, record!.seq);
    await waitFor(
      async () => (await value(registry, 'gittix_dead_letters_waiting', durable)) === 0,
      { message: 'no dead letter waiting once its record is deleted' },
    );
  });

  it('when JetStream does not answer, then a scrape still answers within its timeout, with the last values read', async () => {
    const durable = durableName(`svc${randomUUID().slice(0, 8)}`, 'ticket.created');
    await fixture.bus.js.publish(fixture.bus.deadLetterSubjectOf(durable), '{}');
    const registry = new Registry();
    registerDeadLetterMetrics(registry, fixture.bus, [durable], { freshMs: 0, timeoutMs: 300 });
    expect(await value(registry, 'gittix_dead_letters_waiting', durable)).toBe(1);

    await proxy.hold();
    try {
      for (const scrape of [1, 2]) {
        const started = performance.now();
        const text = await registry.metrics();
        expect(performance.now() - started, `scrape ${scrape}`).toBeLessThan(1_500);
        expect(metricValue(text, 'gittix_dead_letters_waiting', { consumer: durable })).toBe(1);
      }
    } finally {
      await proxy.release();
    }
  });
});
