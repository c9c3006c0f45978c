import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HttpError } from './errors.js';

/**
 * A lookup in this service's replica found nothing (or not yet the fact that allows
 * the request), but it may be on its way: another service made it a moment ago and
 * its event is still travelling (the outbox relay, then this service's consumer).
 * Answered with `statusCode` (404 unless said) once `untilReplicated` stops waiting.
 */
export class NotReplicatedYetError extends HttpError {
  constructor(message: string, statusCode = 404) {
    super(statusCode, [{ message }]);
  }
}

/** How long a request waits for a replica to hear of what it names, unless configured. */
export const DEFAULT_REPLICA_WAIT_MS = 2_000;

/** `REPLICA_WAIT_MS`: the wait, per service. */
export const replicaWaitConfigSchema = z.object({
  REPLICA_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(DEFAULT_REPLICA_WAIT_MS),
});

export interface ReplicaWaitOptions {
  /** The longest a request waits (REPLICA_WAIT_MS); 0: answer at once. */
  timeoutMs: number;
  /** Requests waiting at once in this process; past it, a miss is answered at once. */
  maxWaiting?: number;
}

/**
 * Read-your-writes across services: `untilReplicated(attempt)` runs `attempt` and,
 * while it throws NotReplicatedYetError, runs it again after 10, 20, 40 … 200 ms
 * until `timeoutMs` has passed, then lets the 404 through. A ticket listed and
 * ordered in the same breath, or an order paid the instant it was placed, succeeds
 * instead of meeting a replica a few milliseconds behind. Nothing waits on a hit;
 * a miss holds no connection while it waits, and at most `maxWaiting` wait at once,
 * so a flood of made-up ids costs sleeping timers, not the database.
 */
export function replicaWaiter({ timeoutMs, maxWaiting = 100 }: ReplicaWaitOptions) {
  let waiting = 0;
  return async function untilReplicated<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let delayMs = 10;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const late = Date.now() + delayMs > deadline;
        if (!(error instanceof NotReplicatedYetError) || late || waiting >= maxWaiting) throw error;
      }
      waiting += 1;
      try {
        await sleep(delayMs);
      } finally {
        waiting -= 1;
      }
      delayMs = Math.min(delayMs * 2, 200);
    }
  };
}

export type UntilReplicated = ReturnType<typeof replicaWaiter>;
