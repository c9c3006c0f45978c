import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expirationTraces, noEventLost } from '../chaos/invariants.js';
import type { Snapshot } from '../chaos/snapshot.js';
import type { StreamMessage } from '../chaos/stream.js';

const cancelled = (orderId: string, causationId?: string): StreamMessage => ({
  seq: 1,
  subject: 'order.cancelled',
  msgId: 'm',
  envelope: {
    id: randomUUID(),
    type: 'order.cancelled',
    ...(causationId ? { causationId } : {}),
    data: { id: orderId },
  },
});

/** Whether the chaos invariants count the event as handled by expiration, given Redis's keys. */
function handled(event: StreamMessage, redis: { jobs: string[]; marks: string[] }): boolean {
  // Only the two sets expirationTraces reads; the rest of a snapshot plays no part here.
  const s = {
    expirationJobs: new Set(redis.jobs),
    expirationCancelMarks: new Set(redis.marks),
  } as unknown as Snapshot;
  return expirationTraces(event).some((traces) => traces(s).has(String(event.envelope.data.id)));
}

describe('expiration traces in the chaos invariants', () => {
  it("when the order's own expiry cancelled it, then its finished job counts for order.cancelled", () => {
    const orderId = randomUUID();
    expect(handled(cancelled(orderId, orderId), { jobs: [orderId], marks: [] })).toBe(true);
  });

  it('when anything else cancelled it, then only a cancellation mark counts', () => {
    const orderId = randomUUID();
    expect(handled(cancelled(orderId), { jobs: [orderId], marks: [] })).toBe(false);
    expect(handled(cancelled(orderId, randomUUID()), { jobs: [orderId], marks: [] })).toBe(false);
    expect(handled(cancelled(orderId), { jobs: [], marks: [orderId] })).toBe(true);
  });
});

describe('expiration traces across a Redis flush', () => {
  const flushedAt = new Date('2026-12-03T21:13:43.700Z');
  const at = (ms: number) => new Date(flushedAt.getTime() + ms).toISOString();
  let seq = 0;
  const message = (
    subject: string,
    id: string,
    occurredAt: string,
    data: Record<string, unknown>,
    causationId?: string,
  ): StreamMessage => ({
    seq: ++seq,
    subject,
    msgId: id,
    envelope: { id, type: subject, occurredAt, data, ...(causationId ? { causationId } : {}) },
  });

  /** noEventLost's verdict on `events` for one cancelled order, Redis holding nothing after the flush. */
  function expirationViolations(orderId: string, events: StreamMessage[]): string[] {
    const everyId = new Set(events.map((event) => event.envelope.id));
    const inbox = () => new Map([['all', everyId]]);
    const s = {
      orders: [{ id: orderId, status: 'cancelled' }],
      events,
      outbox: { tickets: [], orders: [], payments: [] },
      inbox: { tickets: inbox(), orders: inbox(), payments: inbox() },
      deadLetters: [],
      consumers: [],
      expirationJobs: new Set<string>(),
      expirationCancelMarks: new Set<string>(),
    } as unknown as Snapshot;
    return noEventLost(s, { redisFlushedAt: flushedAt }).violations;
  }

  it('when the job fired before the flush and orders cancelled after it, then the lost finished record is not a lost event', () => {
    // The chaos run of 3 Dec 21:15: the job fired, Redis was flushed before its
    // moveToFinished, and orders handled expiration.complete 250 ms later.
    const orderId = randomUUID();
    const violations = expirationViolations(orderId, [
      message('expiration.complete', orderId, at(-55), { orderId }),
      message('order.cancelled', randomUUID(), at(250), { id: orderId }, orderId),
    ]);
    expect(violations).toEqual([]);
  });

  it('when the job fired after the flush, then its missing finished record is still a lost event', () => {
    const orderId = randomUUID();
    const cancel = message('order.cancelled', randomUUID(), at(250), { id: orderId }, orderId);
    const violations = expirationViolations(orderId, [
      message('expiration.complete', orderId, at(10), { orderId }),
      cancel,
    ]);
    expect(violations).toEqual([
      `expiration never handled order.cancelled ${cancel.envelope.id} (order ${orderId})`,
    ]);
  });

  it("when a buyer's cancel came after the flush, then its missing mark is a lost event whatever fired before", () => {
    const orderId = randomUUID();
    const cancel = message('order.cancelled', randomUUID(), at(250), { id: orderId }, randomUUID());
    const violations = expirationViolations(orderId, [
      message('expiration.complete', orderId, at(-55), { orderId }),
      cancel,
    ]);
    expect(violations).toEqual([
      `expiration never handled order.cancelled ${cancel.envelope.id} (order ${orderId})`,
    ]);
  });
});
