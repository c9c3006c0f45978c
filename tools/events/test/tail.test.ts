import { randomBytes, randomUUID } from 'node:crypto';
import { contextFromCarrier, createEnvelope, initTracing } from '@gittix/common';
import { ticketCreatedData, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tailCommand } from '../src/commands/tail.js';
import { CliError } from '../src/output.js';
import { type CliFixture, capture, createCliFixture } from './fixture.js';

describe('events tail', () => {
  let fx: CliFixture;
  beforeAll(async () => {
    fx = await createCliFixture();
  });
  afterAll(() => fx.close());

  async function consumerCount(): Promise<number> {
    return (await fx.bus.jsm.streams.info(fx.bus.stream)).state.consumer_count;
  }

  it('when an event is published while tailing, then it is printed on one readable line', async () => {
    const earlier = await fx.publish('ticket.created', ticketCreatedData());
    const { lines, out, text } = capture();
    const stop = new AbortController();
    const consumersBefore = await consumerCount();
    const tailing = tailCommand(fx.bus, out, { signal: stop.signal });
    await waitFor(async () => (await consumerCount()) > consumersBefore, {
      message: 'the tail consumer',
    });
    const data = ticketCreatedData({ title: 'Live one', price: 99 });
    const live = await fx.publish('ticket.created', data);
    await waitFor(() => text().includes(live.id), { message: 'the live event printed' });
    stop.abort();
    await tailing;

    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `${live.occurredAt} #${(await fx.bus.jsm.streams.info(fx.bus.stream)).state.last_seq} ticket.created ${live.id} ${JSON.stringify(live.data)}`,
    );
    expect(text()).not.toContain(earlier.id);
    // Ordered consumers are ephemeral: tail leaves nothing behind.
    await waitFor(async () => (await consumerCount()) === consumersBefore, {
      message: 'the tail consumer removed',
    });
  });

  it("when a reset link's event carries its token in clear, then the token is not printed, and the rest of the event is", async () => {
    const userId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    // As auth wrote it before sealing (notifications now dead-letters it): no schema lets it
    // through publish, so it goes on the stream as raw JSON.
    const sent = {
      id: randomUUID(),
      type: 'user.password_reset_requested' as const,
      occurredAt: new Date().toISOString(),
      data: { userId, email: 'owner@example.test', token },
    };
    await fx.bus.js.publish(fx.bus.subjectOf(sent.type), JSON.stringify(sent));
    const { lines, out, text } = capture();
    const stop = new AbortController();
    const tailing = tailCommand(fx.bus, out, {
      subject: 'user.password_reset_requested',
      last: 1,
      signal: stop.signal,
    });
    await waitFor(() => text().includes(sent.id), { message: 'the event printed' });
    stop.abort();
    await tailing;
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.at(-1)).toContain(
      `{"userId":"${userId}","email":"owner@example.test","token":"[Redacted]"}`,
    );
  });

  it('when --last is given with a subject, then the last n events of that subject come first', async () => {
    const subject = `order.cancelled`;
    const sent = [];
    for (let i = 0; i < 4; i++) {
      sent.push(
        await fx.publish(subject, { id: randomUUID(), version: i, ticket: { id: randomUUID() } }),
      );
    }
    await fx.publish('ticket.created', ticketCreatedData());
    const { lines, out } = capture();
    const stop = new AbortController();
    const tailing = tailCommand(fx.bus, out, { subject, last: 2, signal: stop.signal });
    await waitFor(() => lines.length >= 2, { message: 'two lines' });
    stop.abort();
    await tailing;
    expect(lines.map((line) => line.split(' ')[3])).toEqual([sent[2]!.id, sent[3]!.id]);
    expect(lines.every((line) => line.split(' ')[2] === subject)).toBe(true);
  });

  it('when --last is given without a subject, then the last n events of the stream come first', async () => {
    const last = await fx.publish('ticket.created', ticketCreatedData());
    const { lines, out } = capture();
    const stop = new AbortController();
    const tailing = tailCommand(fx.bus, out, { last: 1, signal: stop.signal });
    await waitFor(() => lines.length >= 1, { message: 'one line' });
    stop.abort();
    await tailing;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(last.id);
  });

  it('when --from-start is given, then the whole stream is printed in order', async () => {
    const { state } = await fx.bus.jsm.streams.info(fx.bus.stream);
    const { lines, out } = capture();
    const stop = new AbortController();
    const tailing = tailCommand(fx.bus, out, { fromStart: true, signal: stop.signal });
    await waitFor(() => lines.length >= state.messages, { message: 'every message' });
    stop.abort();
    await tailing;
    const seqs = lines.map((line) => Number(line.split(' ')[1]!.slice(1)));
    expect(seqs).toEqual(Array.from({ length: state.messages }, (_, i) => state.first_seq + i));
  });

  it('when --trace is given, then only events of that trace are printed, with their trace and links', async () => {
    // W3C propagation, as every service installs it (no export).
    initTracing({ serviceName: 'events-tail-test' });
    const traceId = randomBytes(16).toString('hex');
    const parent = contextFromCarrier({
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    const causing = randomUUID();
    const traced = {
      ...createEnvelope('ticket.created', ticketCreatedData(), randomUUID()),
      correlationId: 'req-1',
      causationId: causing,
    };
    await fx.bus.publish(traced, undefined, parent);
    const untraced = await fx.publish('ticket.created', ticketCreatedData());
    // A second traced event after it: once printed, tail has read past the untraced one.
    const after = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    await fx.bus.publish(after, undefined, parent);
    const { lines, out } = capture();
    const stop = new AbortController();
    const tailing = tailCommand(fx.bus, out, {
      fromStart: true,
      trace: traceId,
      signal: stop.signal,
    });
    await waitFor(() => lines.some((line) => line.includes(after.id)), {
      message: 'the last traced event',
    });
    stop.abort();
    await tailing;
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(traced.id);
    expect(lines[0]).toMatch(
      new RegExp(` trace=${traceId} correlation=req-1 causation=${causing}$`),
    );
    expect(lines.join('\n')).not.toContain(untraced.id);
    await expect(tailCommand(fx.bus, capture().out, { trace: 'not-a-trace' })).rejects.toThrow(
      CliError,
    );
  });

  it('when the subject is not a subject, then it is refused', async () => {
    await expect(tailCommand(fx.bus, capture().out, { subject: 'ticket..x' })).rejects.toThrow(
      CliError,
    );
  });
});
