import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expirationTraces } from '../chaos/invariants.js';
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
