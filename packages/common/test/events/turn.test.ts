import { describe, expect, it } from 'vitest';
import { atTurnEnd, turnEnd } from '../../src/events/turn.js';

/** A chain `depth` awaits deep, as a handler's is before it acks. */
async function after(depth: number): Promise<void> {
  for (let i = 0; i < depth; i++) await Promise.resolve();
}

describe('work queued for the end of the turn (atTurnEnd, turnEnd)', () => {
  it('when separate promise chains queue callbacks in one turn, then they run together after it, in order', async () => {
    const ran: string[] = [];
    const chains = [3, 1, 7].map(async (depth) => {
      await after(depth);
      atTurnEnd(() => ran.push(`depth ${depth}`));
    });
    await Promise.all(chains);
    // Every chain has queued its callback and every microtask has run: none of them yet.
    expect(ran).toEqual([]);
    setImmediate(() => ran.push('next immediate'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran.slice(0, 3)).toEqual(['depth 1', 'depth 3', 'depth 7']);
  });

  it('when callers await turnEnd, then all of them resume in one microtask checkpoint, none before the others', async () => {
    const events: string[] = [];
    const callers = ['a', 'b', 'c'].map(async (name, i) => {
      await after(i * 2);
      await turnEnd();
      events.push(`${name} resumed`);
      await Promise.resolve();
      events.push(`${name} one await later`);
    });
    await Promise.all(callers);
    // What each does up to its next await happens before anyone goes further: a publish
    // issued there by each is queued before nats.js flushes, and leaves in one write.
    expect(events.slice(0, 3)).toEqual(['a resumed', 'b resumed', 'c resumed']);
  });

  it('when a callback queues another, then that one runs at the end of the next turn', async () => {
    const ran: string[] = [];
    atTurnEnd(() => {
      ran.push('first');
      atTurnEnd(() => ran.push('queued by first'));
    });
    await turnEnd();
    expect(ran).toEqual(['first']);
    await turnEnd();
    expect(ran).toEqual(['first', 'queued by first']);
  });
});
