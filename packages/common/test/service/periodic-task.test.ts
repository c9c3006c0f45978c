import { describe, expect, it } from 'vitest';
import { periodicTask } from '../../src/service/periodic-task.js';
import { testLogger, waitFor } from '../../src/testing/index.js';

describe('periodicTask', () => {
  it('when a run fails, then it is retried on the next interval and the task keeps going', async () => {
    let runs = 0;
    const task = periodicTask({
      name: 'flaky',
      intervalMs: 10,
      logger: testLogger,
      run: async () => {
        runs += 1;
        if (runs === 1) throw new Error('first run fails');
        return false;
      },
    });
    task.start();
    await waitFor(() => runs >= 3, { message: 'runs after a failure' });
    await task.stop();
  });

  it('when a run says there is more, then the next starts without waiting for the interval', async () => {
    let runs = 0;
    const task = periodicTask({
      name: 'batches',
      intervalMs: 60_000,
      logger: testLogger,
      run: async () => {
        runs += 1;
        return runs < 5;
      },
    });
    task.start();
    await waitFor(() => runs === 5, { timeoutMs: 2_000, message: 'five back-to-back runs' });
    await task.stop();
    expect(runs).toBe(5);
  });

  it('when stopped during a run, then stop waits for that run and no other starts', async () => {
    let release: () => void = () => {};
    let runs = 0;
    let finished = 0;
    const task = periodicTask({
      name: 'slow',
      intervalMs: 1,
      logger: testLogger,
      run: async () => {
        runs += 1;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        finished += 1;
        return false;
      },
    });
    task.start();
    await waitFor(() => runs === 1, { message: 'first run started' });
    const stopped = task.stop();
    release();
    await stopped;
    expect({ runs, finished }).toEqual({ runs: 1, finished: 1 });
  });
});
