import { randomUUID } from 'node:crypto';
import { EventBus } from '@gittix/common';
import {
  createTestEnvironment,
  type TestEnvironment,
  testEventNames,
  testInfra,
  testLogger,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLettersCommand, replayDeadLetterCommand } from '../src/commands/dead-letters.js';
import { tailCommand } from '../src/commands/tail.js';
import { CliError } from '../src/output.js';
import { capture } from './fixture.js';

/**
 * What an operator gets wrong: a stream that is not there (NATS_STREAM mistyped, no
 * service started yet), an id that names nothing, `--last 0`. Each is a user mistake
 * answered with a CliError (printed without a stack, exit code 1), or just works.
 */
describe('events CLI on odd arguments', () => {
  let environment: TestEnvironment;
  let bus: EventBus;
  /** A bus on a stream name no service ever created. */
  let nowhere: EventBus;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    bus = await environment.bus();
    nowhere = await EventBus.connect({
      url: testInfra.natsUrl,
      ...testEventNames(),
      name: 'events-cli-test',
      logger: testLogger,
    });
  });
  afterAll(async () => {
    await nowhere.close();
    await environment.close();
  });

  it('when the stream does not exist, then tail says so as a CliError, with and without --last', async () => {
    for (const options of [{}, { last: 3 }, { subject: 'order.*', last: 3 }, { fromStart: true }]) {
      const attempt = tailCommand(nowhere, capture().out, options);
      await expect(attempt).rejects.toBeInstanceOf(CliError);
      await expect(attempt).rejects.toThrow(new RegExp(`${nowhere.stream}.*does not exist`));
    }
  });

  it('when the subject is outside the stream (a typo of its family, a wildcard family), then tail says so as a CliError', async () => {
    for (const subject of ['tickets.created', '*.created', '*']) {
      const attempt = tailCommand(bus, capture().out, { subject });
      await expect(attempt).rejects.toBeInstanceOf(CliError);
      await expect(attempt).rejects.toThrow(
        new RegExp(`matches no subject of stream ${bus.stream}`),
      );
    }
  });

  it('when the dead-letter stream does not exist, then dead-letters and replay say so as a CliError', async () => {
    const listing = deadLettersCommand(nowhere, capture().out);
    await expect(listing).rejects.toBeInstanceOf(CliError);
    await expect(listing).rejects.toThrow(
      new RegExp(`${nowhere.deadLetterStream}.*does not exist`),
    );
    await expect(replayDeadLetterCommand(nowhere, capture().out, '#1')).rejects.toBeInstanceOf(
      CliError,
    );
  });

  it('when --consumer is not a consumer name, then dead-letters refuses it as a CliError', async () => {
    for (const consumer of ['a b', 'tickets.order', 'x*']) {
      const listing = deadLettersCommand(bus, capture().out, { consumer });
      await expect(listing).rejects.toBeInstanceOf(CliError);
      await expect(listing).rejects.toThrow(/is not a consumer name/);
    }
  });

  it('when replay names no dead letter, then it is a CliError (no stack trace)', async () => {
    const attempt = replayDeadLetterCommand(bus, capture().out, '#424242');
    await expect(attempt).rejects.toBeInstanceOf(CliError);
    await expect(attempt).rejects.toThrow(/No dead letter #424242/);
  });

  it('when --last 0 is given with a subject, then earlier events are skipped and new ones are printed', async () => {
    const subject = 'order.cancelled';
    const cancelled = () =>
      environment.publish(subject, { id: randomUUID(), version: 1, ticket: { id: randomUUID() } });
    const earlier = await cancelled();
    const consumersBefore = (await bus.jsm.streams.info(bus.stream)).state.consumer_count;
    const { lines, out, text } = capture();
    const stop = new AbortController();
    const tailing = tailCommand(bus, out, { subject, last: 0, signal: stop.signal });
    await waitFor(
      async () => (await bus.jsm.streams.info(bus.stream)).state.consumer_count > consumersBefore,
      { message: 'the tail consumer' },
    );
    const live = await cancelled();
    try {
      await waitFor(() => text().includes(live.id), { message: 'the new event printed' });
    } finally {
      stop.abort();
      await tailing;
    }
    expect(lines).toHaveLength(1);
    expect(text()).not.toContain(earlier.id);
  });
});
