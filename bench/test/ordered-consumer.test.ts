import { describe, expect, it } from 'vitest';
import { Ledger } from '../prototypes/ordered-consumer/ledger.js';
import { runScenario } from '../prototypes/ordered-consumer/scenarios.js';
import { orderWorkload } from '../prototypes/ordered-consumer/workload.js';

// The prototype of docs/decisions/ordered-consumers.md, briefly, so that it cannot rot.
describe('the ordered family consumer prototype', () => {
  it('when a key’s events are committed out of order or after a dead letter, then the ledger counts each', () => {
    const { events, positions } = orderWorkload(2, 2);
    const [createdA, createdB, cancelledA, cancelledB] = events.map((event) => event.id);
    const ledger = new Ledger(positions);
    ledger.commit(cancelledA!);
    ledger.commit(createdA!);
    ledger.park(positions.get(createdB!)!.key);
    ledger.commit(cancelledB!);
    ledger.commit(createdA!);
    expect(ledger.violations).toHaveLength(3);
    expect(ledger.keysOutOfOrder).toBe(2);
    expect(ledger.duplicates).toBe(1);
  });

  it('when handlers fail, two keys are poisoned and the consumer crashes part-way, then the rewound durable hands every key over in order', async () => {
    const result = await runScenario({
      variant: 'family-by-key',
      keys: 80,
      batch: 4,
      costMs: 1,
      concurrency: 2,
      faults: { transientRate: 0.1, poisonEvery: 40 },
      interruption: 'crash',
      ackWaitMs: 3_000,
      timeoutMs: 20_000,
    });
    expect(result.firstViolations).toEqual([]);
    expect(result.handled + result.deadLettered).toBe(result.events);
    expect(result.deadLettered).toBe(4); // keys 0 and 40: each poisoned created takes its cancel along
    // The rewind replayed what was handled above the ack floor (key 0's retries held it back).
    expect(result.duplicates).toBeGreaterThan(0);
  });
});
