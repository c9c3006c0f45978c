import { randomUUID } from 'node:crypto';
import { waitFor } from '@gittix/common/testing';
import { AckPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamsCommand } from '../src/commands/streams.js';
import { type CliFixture, capture, createCliFixture } from './fixture.js';

describe('events streams: a consumer falling behind shows before it loses anything', () => {
  let fx: CliFixture;
  const durable = 'lagtest_payment_created';

  beforeAll(async () => {
    fx = await createCliFixture();
    // A durable consumer nobody pulls from: everything published stays unacknowledged.
    await fx.bus.jsm.consumers.add(fx.bus.stream, {
      durable_name: durable,
      filter_subject: fx.bus.subjectOf('payment.created'),
      ack_policy: AckPolicy.Explicit,
    });
  });
  afterAll(() => fx?.close());

  const payment = () => ({ id: randomUUID(), orderId: randomUUID(), providerId: 'ch_lag' });

  it("when a consumer has unacknowledged events, then streams shows the stream's retention, the lag and the oldest event's age", async () => {
    await fx.publish('payment.created', payment());
    await fx.publish('payment.created', payment());
    const { out, text } = capture();
    const [report] = await streamsCommand(fx.bus, out);
    const lag = report!.lags[report!.consumers.findIndex((c) => c.name === durable)];
    expect(lag).toMatchObject({ consumer: durable, pending: 2, lag: 2 });
    expect(lag!.oldestUnackedAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(text()).toMatch(/keeps events 96\.0h, no size cap/);
    expect(text()).toMatch(/oldest unacked\s+until lost/);
    expect(text()).toMatch(
      new RegExp(`${durable}\\s+\\S+\\s+2\\s+0\\s+0\\s+2\\s+0\\s+0\\s+[\\d.]+s\\s+96\\.0h`),
    );
    expect(text()).not.toContain('AT RISK');
  });

  it('when its oldest event is past half the max age, then it is flagged AT RISK', async () => {
    // A stream that keeps events 6 s: half of it passes while the test waits.
    await fx.bus.jsm.streams.update(fx.bus.stream, {
      max_age: nanos(6_000),
      duplicate_window: nanos(1_000),
    });
    await fx.publish('payment.created', payment());
    const flagged = await waitFor(
      async () => {
        const { out, text } = capture();
        await streamsCommand(fx.bus, out);
        return text().includes('AT RISK') ? text() : undefined;
      },
      { timeoutMs: 6_000, message: 'the consumer flagged AT RISK' },
    );
    expect(flagged).toMatch(new RegExp(`${durable}.*AT RISK`));
    expect(flagged).toMatch(/keeps events 6\.0s/);
  });
});
