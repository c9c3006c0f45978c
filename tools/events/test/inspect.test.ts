import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  deadLettersWaiting,
  EventConsumers,
  subscribeWithoutInbox,
} from '@gittix/common';
import { testLogger, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deadLettersCommand,
  discardDeadLetterCommand,
  replayDeadLetterCommand,
} from '../src/commands/dead-letters.js';
import { streamsCommand } from '../src/commands/streams.js';
import { type CliFixture, capture, createCliFixture } from './fixture.js';

describe('events streams and dead-letters', () => {
  let fx: CliFixture;
  beforeAll(async () => {
    fx = await createCliFixture();
  });
  afterAll(() => fx.close());

  let consumers: EventConsumers;
  let poisonId: string;
  let goodId: string;
  const handled: string[] = [];
  /** Fixed: the poison no longer fails (for the replay). */
  let healed = false;

  beforeAll(async () => {
    consumers = new EventConsumers({
      bus: fx.bus,
      service: 'clitest',
      logger: testLogger,
      maxDeliveries: 2,
      subscriptions: [
        subscribeWithoutInbox('payment.created', async (event) => {
          if (event.data.providerId === 'poison' && !healed) {
            throw new Error('provider id is poison');
          }
          handled.push(event.id);
        }),
      ],
    });
    await consumers.start();
    poisonId = (
      await fx.publish('payment.created', {
        id: randomUUID(),
        orderId: randomUUID(),
        providerId: 'poison',
      })
    ).id;
    goodId = (
      await fx.publish('payment.created', {
        id: randomUUID(),
        orderId: randomUUID(),
        providerId: 'ch_1',
      })
    ).id;
    await waitFor(() => handled.includes(goodId), { message: 'the good event handled' });
    await waitFor(
      async () => (await fx.bus.jsm.streams.info(fx.bus.deadLetterStream)).state.messages === 1,
      { message: 'the poison event dead-lettered' },
    );
    await waitFor(
      async () => {
        const info = await fx.bus.jsm.consumers.info(fx.bus.stream, 'clitest_payment_created');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { message: 'the consumer done with both events' },
    );
  });
  afterAll(() => consumers.stop());

  it('when a service consumes the stream, then streams shows its durable consumer and progress', async () => {
    const { out, text } = capture();
    const reports = await streamsCommand(fx.bus, out);
    const consumer = reports[0]!.consumers.find((c) => c.name === 'clitest_payment_created');
    expect(consumer).toBeDefined();
    expect(consumer!.num_pending).toBe(0);
    expect(text()).toMatch(new RegExp(`^${fx.bus.stream} `, 'm'));
    expect(text()).toMatch(/consumer\s+filter\s+pending\s+ack pending\s+redelivered\s+lag/);
    expect(text()).toMatch(
      new RegExp(
        `clitest_payment_created\\s+${fx.bus.subjectOf('payment.created')}\\s+0\\s+0\\s+\\d+\\s+0`,
      ),
    );
    expect(text()).toMatch(new RegExp(`^${fx.bus.deadLetterStream} `, 'm'));
    expect(text()).toMatch(/messages 1 /);
  });

  it('when an event was dead-lettered, then dead-letters shows consumer, deliveries, error and payload', async () => {
    const { out, text } = capture();
    const records = await deadLettersCommand(fx.bus, out);
    expect(records).toHaveLength(1);
    expect(text()).toContain('clitest_payment_created');
    expect(text()).toContain(fx.bus.subjectOf('payment.created'));
    expect(text()).toContain('deliveries 2');
    expect(text()).toContain('error:   provider id is poison');
    expect(text()).toContain(`payload: payment.created ${poisonId}`);
    expect(text()).toContain(records[0]!.failedAt);
  });

  it('when filtered to another consumer, then there are none', async () => {
    const { lines, out } = capture();
    expect(await deadLettersCommand(fx.bus, out, { consumer: 'orders_ticket_created' })).toEqual(
      [],
    );
    expect(lines).toEqual(['No dead letters.']);
  });

  it('when a dead letter is replayed after its cause is fixed, then the consumer that gave up handles it and the dead letter is gone', async () => {
    const [record] = await deadLettersCommand(fx.bus, capture().out);
    healed = true;
    const replay = capture();
    await replayDeadLetterCommand(fx.bus, replay.out, `#${record!.id}`);
    expect(replay.text()).toMatch(
      new RegExp(`^Replayed #${record!.id} \\(clitest_payment_created`),
    );
    await waitFor(() => handled.includes(poisonId), { message: 'the replayed event handled' });
    expect(await deadLettersCommand(fx.bus, capture().out)).toEqual([]);
    // What the services' gittix_dead_letters_waiting reads: back to 0.
    expect(await deadLettersWaiting(fx.bus, ['clitest_payment_created'])).toEqual([
      { consumer: 'clitest_payment_created', waiting: 0 },
    ]);
  });

  const streamMessages = async () => (await fx.bus.jsm.streams.info(fx.bus.stream)).state.messages;

  /** Records a dead letter by hand, as the consumer (clitest's by default) would. */
  async function recordDeadLetter(
    payload: string,
    consumer = 'clitest_payment_created',
  ): Promise<number> {
    const ack = await fx.bus.js.publish(
      fx.bus.deadLetterSubjectOf(consumer),
      JSON.stringify({
        consumer,
        subject: fx.bus.subjectOf('payment.created'),
        streamSeq: 0,
        deliveries: 2,
        error: 'provider id is poison',
        failedAt: new Date().toISOString(),
        payload,
      }),
    );
    return ack.seq;
  }

  /** A valid payment.created event's JSON. */
  const paymentCreated = () =>
    JSON.stringify(
      createEnvelope(
        'payment.created',
        { id: randomUUID(), orderId: randomUUID(), providerId: 'ch_2' },
        randomUUID(),
      ),
    );

  it("when the dead letter's event is older than the inboxes' retention, then replay refuses and publishes nothing; with force it replays", async () => {
    await recordDeadLetter(paymentCreated());
    const [record] = await deadLettersCommand(fx.bus, capture().out);
    const occurredAt = Date.parse(JSON.parse(record!.payload).occurredAt);
    const eightDaysLater = occurredAt + 8 * 24 * 3_600_000;
    const before = await streamMessages();

    await expect(
      replayDeadLetterCommand(fx.bus, capture().out, `#${record!.id}`, {
        inboxRetentionHours: 168,
        now: eightDaysLater,
      }),
    ).rejects.toThrow(/of 192 h ago: .*after EVENT_TABLES_RETENTION_HOURS \(168 h\).*--force/);
    expect(await streamMessages()).toBe(before);

    const forced = capture();
    await replayDeadLetterCommand(fx.bus, forced.out, `#${record!.id}`, {
      inboxRetentionHours: 168,
      now: eightDaysLater,
      force: true,
    });
    expect(forced.text()).toMatch(/^Replayed #/);
    expect(await streamMessages()).toBe(before + 1);
  });

  it('when two consumers dead-lettered one event, then replaying it removes both records: both receive the replay', async () => {
    const event = paymentCreated();
    const first = await recordDeadLetter(event);
    const second = await recordDeadLetter(event, 'other_payment_created');
    const unrelated = await recordDeadLetter(paymentCreated());
    await replayDeadLetterCommand(fx.bus, capture().out, `#${second}`);
    const left = (await deadLettersCommand(fx.bus, capture().out)).map((r) => r.id);
    expect(left).toContain(unrelated);
    expect(left).not.toContain(first);
    expect(left).not.toContain(second);
    await discardDeadLetterCommand(fx.bus, capture().out, `#${unrelated}`);
  });

  it('when a dead letter is discarded, then it is gone and nothing is published', async () => {
    const seq = await recordDeadLetter(paymentCreated());
    const before = await streamMessages();
    const discard = capture();
    await discardDeadLetterCommand(fx.bus, discard.out, `#${seq}`);
    expect(discard.lines).toEqual([
      `Discarded #${seq} (clitest_payment_created, ${fx.bus.subjectOf('payment.created')}).`,
    ]);
    expect((await deadLettersCommand(fx.bus, capture().out)).map((r) => r.id)).not.toContain(seq);
    expect(await streamMessages()).toBe(before);
    await expect(discardDeadLetterCommand(fx.bus, capture().out, `#${seq}`)).rejects.toThrow(
      new RegExp(`No dead letter #${seq}`),
    );
  });

  it('when a dead letter is not a valid event (cut short, or of another subject), then replay refuses and publishes nothing', async () => {
    const cut = await recordDeadLetter('{"id":"3f1c');
    const other = await recordDeadLetter(
      JSON.stringify({ id: randomUUID(), type: 'order.created', occurredAt: new Date(), data: {} }),
    );
    const before = await streamMessages();

    for (const seq of [cut, other]) {
      await expect(replayDeadLetterCommand(fx.bus, capture().out, `#${seq}`)).rejects.toThrow(
        new RegExp(`^#${seq} is not a valid event .*dead-letter it again`),
      );
    }
    expect(await streamMessages()).toBe(before);
    // Refused, so still there: discard is the way to drop them.
    const left = (await deadLettersCommand(fx.bus, capture().out)).map((r) => r.id);
    expect(left).toEqual(expect.arrayContaining([cut, other]));
  });

  it('when the id names no dead letter, then it says so and publishes nothing', async () => {
    const before = (await fx.bus.jsm.streams.info(fx.bus.stream)).state.messages;
    await expect(replayDeadLetterCommand(fx.bus, capture().out, '#999999')).rejects.toThrow(
      /No dead letter #999999/,
    );
    expect((await fx.bus.jsm.streams.info(fx.bus.stream)).state.messages).toBe(before);
  });
});
