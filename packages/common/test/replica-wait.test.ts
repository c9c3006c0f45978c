import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../src/errors.js';
import { NotReplicatedYetError, replicaWaiter } from '../src/replica-wait.js';

/** An attempt that misses `misses` times, then finds 'found'; counts its calls. */
function missing(misses: number) {
  let calls = 0;
  const attempt = async () => {
    calls += 1;
    if (calls <= misses) throw new NotReplicatedYetError('Ticket not found');
    return 'found';
  };
  return { attempt, calls: () => calls };
}

describe('replicaWaiter: read-your-writes against a replica that lags', () => {
  it('when the thing arrives within the wait, then the attempt is repeated until it finds it', async () => {
    const lookup = missing(3);
    await expect(replicaWaiter({ timeoutMs: 2_000 })(lookup.attempt)).resolves.toBe('found');
    expect(lookup.calls()).toBe(4);
  });

  it('when it never arrives, then the 404 comes through once the wait is over', async () => {
    const lookup = missing(Number.POSITIVE_INFINITY);
    const started = Date.now();
    await expect(replicaWaiter({ timeoutMs: 150 })(lookup.attempt)).rejects.toBeInstanceOf(
      NotReplicatedYetError,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lookup.calls()).toBeGreaterThan(1);
  });

  it('when the wait is 0 or another error is thrown, then nothing is repeated', async () => {
    const lookup = missing(1);
    await expect(replicaWaiter({ timeoutMs: 0 })(lookup.attempt)).rejects.toThrow(
      'Ticket not found',
    );
    expect(lookup.calls()).toBe(1);
    let calls = 0;
    const refused = async () => {
      calls += 1;
      throw new BadRequestError('Ticket is already reserved');
    };
    await expect(replicaWaiter({ timeoutMs: 2_000 })(refused)).rejects.toBeInstanceOf(
      BadRequestError,
    );
    expect(calls).toBe(1);
  });

  it('when as many requests already wait as allowed, then the next miss is answered at once', async () => {
    const untilReplicated = replicaWaiter({ timeoutMs: 2_000, maxWaiting: 1 });
    const first = missing(3);
    const waiting = untilReplicated(first.attempt);
    const second = missing(1);
    await expect(untilReplicated(second.attempt)).rejects.toBeInstanceOf(NotReplicatedYetError);
    expect(second.calls()).toBe(1);
    await expect(waiting).resolves.toBe('found');
  });
});
