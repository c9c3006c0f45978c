import { afterAll, describe, expect, it } from 'vitest';
import { type EventBus, openEventBus } from '../../src/index.js';
import { testEventNames, testInfra, testLogger } from '../../src/testing/index.js';

const HOUR_MS = 3_600_000;
const names = testEventNames();
const open: EventBus[] = [];

/** A service's connection as runService opens it, keeping the stream `maxAgeHours`. */
async function openWith(maxAgeHours: number): Promise<EventBus> {
  const bus = await openEventBus(
    {
      NATS_URL: `nats://127.0.0.1:1,${testInfra.natsUrl}`,
      NATS_STREAM: names.stream,
      NATS_SUBJECT_PREFIX: names.subjectPrefix,
      NATS_STREAM_MAX_AGE_HOURS: maxAgeHours,
    },
    'streams-test',
    testLogger,
  );
  open.push(bus);
  return bus;
}

afterAll(async () => {
  const [bus] = open;
  if (bus) {
    for (const stream of [bus.stream, bus.deadLetterStream, bus.sessionsStream])
      await bus.jsm.streams.delete(stream).catch(() => {});
  }
  await Promise.all(open.map((b) => b.close()));
});

describe('the streams a service makes at start', () => {
  it('when services start again with the same settings, then the streams are left as they are; when a setting changes, then it is applied', async () => {
    // NATS_URL lists a server that is not there first: the client goes on to the next.
    const first = await openWith(96);
    const created = (await first.jsm.streams.info(names.stream)).created;

    await openWith(96);
    const unchanged = await first.jsm.streams.info(names.stream);
    expect(unchanged.created).toBe(created);
    expect(unchanged.config.max_age).toBe(96 * HOUR_MS * 1_000_000);

    await openWith(120);
    const updated = await first.jsm.streams.info(names.stream);
    expect(updated.config.max_age).toBe(120 * HOUR_MS * 1_000_000);
    expect(updated.created).toBe(created);
  }, 30_000);
});
