import { describe, expect, it } from 'vitest';
import { orTimeout, pollUntil, TIMED_OUT } from '../system/network.js';

describe('pollUntil: every wait of a start ends by its deadline', () => {
  it('when a check never answers, then the wait fails at its deadline and says the check hung', async () => {
    const started = performance.now();
    await expect(
      pollUntil(() => new Promise<boolean>(() => {}), 'a hung check', 300),
    ).rejects.toThrow(
      'Timed out after 0.3s waiting for a hung check (its last check never answered)',
    );
    // Well before anything but the deadline could have ended it.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('when checks answer no until the deadline, then the wait fails naming what it awaited', async () => {
    let checks = 0;
    await expect(
      pollUntil(
        async () => {
          checks += 1;
          return false;
        },
        () => `the thing after ${checks} checks`,
        300,
      ),
    ).rejects.toThrow(/^Timed out after 0\.3s waiting for the thing after \d+ checks$/);
    expect(checks).toBeGreaterThan(1);
  });

  it('when a check says yes, then the wait ends; when one throws, then with its error', async () => {
    let checks = 0;
    await pollUntil(async () => ++checks === 3, 'the third check', 5_000);
    expect(checks).toBe(3);
    await expect(
      pollUntil(
        async () => {
          throw new Error('the server process died');
        },
        'never',
        5_000,
      ),
    ).rejects.toThrow('the server process died');
  });
});

describe('orTimeout', () => {
  it('when the promise settles first, then its value; when the deadline comes first, then TIMED_OUT', async () => {
    expect(await orTimeout(Promise.resolve(7), 1_000)).toBe(7);
    expect(await orTimeout(new Promise(() => {}), 10)).toBe(TIMED_OUT);
    await expect(orTimeout(Promise.reject(new Error('no')), 1_000)).rejects.toThrow('no');
  });
});
