/**
 * Runs callbacks queued during this turn of the event loop together, in one
 * `setImmediate`. nats.js sends in one socket write what is queued before its flush
 * microtask, so acks and publishes issued one by one from separate promise chains
 * went out in a write each: 2,000 writes for a burst of 1,000 expiries, each one
 * waking nats-server on the same two cores (bench/bottlenecks.md §18). Queued here,
 * a turn's acks, or a turn's publishes, share one write.
 */
let queued: Array<() => void> = [];

function runQueued(): void {
  const now = queued;
  queued = [];
  for (const callback of now) callback();
}

/**
 * Runs `callback` at the end of this event-loop turn, with the others queued in it.
 * It must not throw: it runs outside the caller's stack, where nothing would catch it.
 */
export function atTurnEnd(callback: () => void): void {
  if (queued.length === 0) setImmediate(runQueued);
  queued.push(callback);
}

/** Resolves at the end of this turn, together with every other caller's. */
export function turnEnd(): Promise<void> {
  return new Promise((resolve) => atTurnEnd(resolve));
}
