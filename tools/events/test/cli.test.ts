import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EventBus,
  EventConsumers,
  type EventData,
  type Subject,
  subscribe,
} from '@gittix/common';
import { testEventNames, testInfra, testLogger, waitFor } from '@gittix/common/testing';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLettersCommand } from '../src/commands/dead-letters.js';
import { publishCommand } from '../src/commands/publish.js';
import { streamsCommand } from '../src/commands/streams.js';
import { tailCommand } from '../src/commands/tail.js';
import { CliError } from '../src/output.js';
import { buildProgram } from '../src/program.js';

function ticketCreated(overrides: Partial<EventData<'ticket.created'>> = {}) {
  return {
    id: randomUUID(),
    version: 0,
    title: `Gig ${randomUUID().slice(0, 6)}`,
    price: 12.5,
    userId: randomUUID(),
    ...overrides,
  } satisfies EventData<'ticket.created'>;
}

/** Collects a command's lines. */
function capture() {
  const lines: string[] = [];
  return {
    lines,
    out: { line: (text: string) => void lines.push(text) },
    text: () => lines.join('\n'),
  };
}

describe('events CLI', () => {
  let bus: EventBus;

  beforeAll(async () => {
    const names = testEventNames();
    bus = await EventBus.connect({
      url: testInfra.natsUrl,
      stream: names.stream,
      subjectPrefix: names.subjectPrefix,
      name: 'events-cli-test',
      logger: testLogger,
    });
    await bus.ensureStreams();
  });
  afterAll(async () => {
    await bus.jsm.streams.delete(bus.stream).catch(() => {});
    await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
    await bus.close();
  });

  async function publish<S extends Subject>(subject: S, data: EventData<S>) {
    const envelope = createEnvelope(subject, data, randomUUID());
    await bus.publish(envelope);
    return envelope;
  }

  async function consumerCount(): Promise<number> {
    return (await bus.jsm.streams.info(bus.stream)).state.consumer_count;
  }

  describe('publish', () => {
    it('when the data fits the subject schema, then it is published in an envelope and its id printed', async () => {
      const { lines, out } = capture();
      const data = { orderId: randomUUID() };
      const id = await publishCommand(bus, out, 'expiration.complete', JSON.stringify(data));
      expect(lines).toEqual([id]);
      const stored = await bus.jsm.streams.getMessage(bus.stream, {
        last_by_subj: bus.subjectOf('expiration.complete'),
      });
      expect(stored!.header?.get('Nats-Msg-Id')).toBe(id);
      expect(stored!.json()).toEqual({
        id,
        type: 'expiration.complete',
        occurredAt: expect.any(String),
        data,
      });
    });

    it('when the data breaks the schema, then every problem is named and nothing is published', async () => {
      const before = (await bus.jsm.streams.info(bus.stream)).state.last_seq;
      const { lines, out } = capture();
      const attempt = publishCommand(bus, out, 'ticket.created', '{"id":"nope","price":0.001}');
      await expect(attempt).rejects.toThrow(CliError);
      await expect(attempt).rejects.toThrow(
        /id: .*\n.*version: .*\n.*title: .*\n.*price: .*\n.*userId: /s,
      );
      expect(lines).toEqual([]);
      expect((await bus.jsm.streams.info(bus.stream)).state.last_seq).toBe(before);
    });

    it('when the data is not JSON, then it says so', async () => {
      await expect(publishCommand(bus, capture().out, 'ticket.created', '{oops')).rejects.toThrow(
        /not valid JSON/,
      );
    });

    it('when the subject is unknown, then the known subjects are listed', async () => {
      await expect(publishCommand(bus, capture().out, 'ticket.deleted', '{}')).rejects.toThrow(
        /Unknown subject "ticket.deleted".*ticket.created/,
      );
    });
  });

  describe('tail', () => {
    it('when an event is published while tailing, then it is printed on one readable line', async () => {
      const earlier = await publish('ticket.created', ticketCreated());
      const { lines, out, text } = capture();
      const stop = new AbortController();
      const consumersBefore = await consumerCount();
      const tailing = tailCommand(bus, out, { signal: stop.signal });
      await waitFor(async () => (await consumerCount()) > consumersBefore, {
        message: 'the tail consumer',
      });
      const data = ticketCreated({ title: 'Live one', price: 99 });
      const live = await publish('ticket.created', data);
      await waitFor(() => text().includes(live.id), { message: 'the live event printed' });
      stop.abort();
      await tailing;

      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `${live.occurredAt} #${(await bus.jsm.streams.info(bus.stream)).state.last_seq} ticket.created ${live.id} ${JSON.stringify(data)}`,
      );
      expect(text()).not.toContain(earlier.id);
      // Ordered consumers are ephemeral: tail leaves nothing behind.
      await waitFor(async () => (await consumerCount()) === consumersBefore, {
        message: 'the tail consumer removed',
      });
    });

    it('when --last is given with a subject, then the last n events of that subject come first', async () => {
      const subject = `order.cancelled`;
      const sent = [];
      for (let i = 0; i < 4; i++) {
        sent.push(
          await publish(subject, { id: randomUUID(), version: i, ticket: { id: randomUUID() } }),
        );
      }
      await publish('ticket.created', ticketCreated());
      const { lines, out } = capture();
      const stop = new AbortController();
      const tailing = tailCommand(bus, out, { subject, last: 2, signal: stop.signal });
      await waitFor(() => lines.length >= 2, { message: 'two lines' });
      stop.abort();
      await tailing;
      expect(lines.map((line) => line.split(' ')[3])).toEqual([sent[2]!.id, sent[3]!.id]);
      expect(lines.every((line) => line.split(' ')[2] === subject)).toBe(true);
    });

    it('when --last is given without a subject, then the last n events of the stream come first', async () => {
      const last = await publish('ticket.created', ticketCreated());
      const { lines, out } = capture();
      const stop = new AbortController();
      const tailing = tailCommand(bus, out, { last: 1, signal: stop.signal });
      await waitFor(() => lines.length >= 1, { message: 'one line' });
      stop.abort();
      await tailing;
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(last.id);
    });

    it('when --from-start is given, then the whole stream is printed in order', async () => {
      const { state } = await bus.jsm.streams.info(bus.stream);
      const { lines, out } = capture();
      const stop = new AbortController();
      const tailing = tailCommand(bus, out, { fromStart: true, signal: stop.signal });
      await waitFor(() => lines.length >= state.messages, { message: 'every message' });
      stop.abort();
      await tailing;
      const seqs = lines.map((line) => Number(line.split(' ')[1]!.slice(1)));
      expect(seqs).toEqual(Array.from({ length: state.messages }, (_, i) => state.first_seq + i));
    });

    it('when the subject is not a subject, then it is refused', async () => {
      await expect(tailCommand(bus, capture().out, { subject: 'ticket..x' })).rejects.toThrow(
        CliError,
      );
    });
  });

  describe('streams and dead-letters', () => {
    let consumers: EventConsumers;
    let poisonId: string;
    let goodId: string;
    const handled: string[] = [];

    beforeAll(async () => {
      consumers = new EventConsumers({
        bus,
        service: 'clitest',
        logger: testLogger,
        maxDeliveries: 2,
        subscriptions: [
          subscribe('payment.created', async (event) => {
            if (event.data.providerId === 'poison') throw new Error('provider id is poison');
            handled.push(event.id);
          }),
        ],
      });
      await consumers.start();
      poisonId = (
        await publish('payment.created', {
          id: randomUUID(),
          orderId: randomUUID(),
          providerId: 'poison',
        })
      ).id;
      goodId = (
        await publish('payment.created', {
          id: randomUUID(),
          orderId: randomUUID(),
          providerId: 'ch_1',
        })
      ).id;
      await waitFor(() => handled.includes(goodId), { message: 'the good event handled' });
      await waitFor(
        async () => (await bus.jsm.streams.info(bus.deadLetterStream)).state.messages === 1,
        { message: 'the poison event dead-lettered' },
      );
      await waitFor(
        async () => {
          const info = await bus.jsm.consumers.info(bus.stream, 'clitest_payment_created');
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        { message: 'the consumer done with both events' },
      );
    });
    afterAll(() => consumers.stop());

    it('when a service consumes the stream, then streams shows its durable consumer and progress', async () => {
      const { out, text } = capture();
      const reports = await streamsCommand(bus, out);
      const consumer = reports[0]!.consumers.find((c) => c.name === 'clitest_payment_created');
      expect(consumer).toBeDefined();
      expect(consumer!.num_pending).toBe(0);
      expect(text()).toMatch(new RegExp(`^${bus.stream} `, 'm'));
      expect(text()).toMatch(/consumer\s+filter\s+pending\s+ack pending\s+redelivered\s+lag/);
      expect(text()).toMatch(
        new RegExp(
          `clitest_payment_created\\s+${bus.subjectOf('payment.created')}\\s+0\\s+0\\s+\\d+\\s+0`,
        ),
      );
      expect(text()).toMatch(new RegExp(`^${bus.deadLetterStream} `, 'm'));
      expect(text()).toMatch(/messages 1 /);
    });

    it('when an event was dead-lettered, then dead-letters shows consumer, deliveries, error and payload', async () => {
      const { out, text } = capture();
      const records = await deadLettersCommand(bus, out);
      expect(records).toHaveLength(1);
      expect(text()).toContain('clitest_payment_created');
      expect(text()).toContain(bus.subjectOf('payment.created'));
      expect(text()).toContain('deliveries 2');
      expect(text()).toContain('error:   provider id is poison');
      expect(text()).toContain(`payload: payment.created ${poisonId}`);
      expect(text()).toContain(records[0]!.failedAt);
    });

    it('when filtered to another consumer, then there are none', async () => {
      const { lines, out } = capture();
      expect(await deadLettersCommand(bus, out, { consumer: 'orders_ticket_created' })).toEqual([]);
      expect(lines).toEqual(['No dead letters.']);
    });
  });

  describe('command line', () => {
    function program() {
      const { out, lines } = capture();
      const errors: string[] = [];
      const cli = buildProgram({ out, withBus: (work) => work(bus) })
        .exitOverride()
        .configureOutput({
          writeOut: (s) => void lines.push(s),
          writeErr: (s) => void errors.push(s),
        });
      for (const command of cli.commands) command.exitOverride();
      return { cli, lines, errors };
    }

    it('when asked for help, then every command is described', async () => {
      const { cli, lines } = program();
      await expect(cli.parseAsync(['--help'], { from: 'user' })).rejects.toThrow(CommanderError);
      for (const command of ['tail', 'publish', 'streams', 'dead-letters', 'NATS_STREAM']) {
        expect(lines.join('')).toContain(command);
      }
    });

    it('when publish is run with arguments, then the event id is printed', async () => {
      const { cli, lines } = program();
      await cli.parseAsync(
        ['publish', 'expiration.complete', JSON.stringify({ orderId: randomUUID() })],
        {
          from: 'user',
        },
      );
      expect(lines).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    });

    it('when --last is not a number, then the command is refused before connecting', async () => {
      let connected = false;
      const cli = buildProgram({
        out: capture().out,
        withBus: async (work) => {
          connected = true;
          return work(bus);
        },
      })
        .exitOverride()
        .configureOutput({ writeErr: () => {} });
      for (const command of cli.commands)
        command.exitOverride().configureOutput({ writeErr: () => {} });
      await expect(cli.parseAsync(['tail', '--last', 'abc'], { from: 'user' })).rejects.toThrow(
        /whole number/,
      );
      expect(connected).toBe(false);
    });
  });
});
