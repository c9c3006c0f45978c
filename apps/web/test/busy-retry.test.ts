import { describe, expect, it } from 'vitest';
import {
  BUSY_MAX_ATTEMPTS,
  BUSY_MAX_WAIT_SECONDS,
  type BusyWait,
  busyDelayMs,
  busyDigest,
  retryAfterOfDigest,
  retryAfterSeconds,
  withBusyRetry,
} from '../src/lib/busy-retry';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2030-01-01T00:00:00.000Z');
  it.each([
    ['3', 3],
    [' 10 ', 10],
    ['0', 0],
    ['Tue, 01 Jan 2030 00:00:05 GMT', 5],
    ['Mon, 31 Dec 2029 23:00:00 GMT', 0],
  ])('when Retry-After is %j, then it is %d s', (header, seconds) => {
    expect(retryAfterSeconds(header, now)).toBe(seconds);
  });

  it.each([[null], [''], ['soon'], ['-1'], ['1.5']])(
    'when Retry-After is %j, then there is none',
    (header) => {
      expect(retryAfterSeconds(header, now)).toBeUndefined();
    },
  );
});

describe('busyDelayMs', () => {
  it('when attempts go on, then the wait doubles from Retry-After, up to the cap', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => busyDelayMs(3, attempt, none))).toEqual([
      3_000,
      6_000,
      12_000,
      24_000,
      BUSY_MAX_WAIT_SECONDS * 1000,
      BUSY_MAX_WAIT_SECONDS * 1000,
    ]);
  });

  it('when the jitter is drawn, then it adds up to half the wait, never less than Retry-After', () => {
    expect(busyDelayMs(2, 1, () => 0)).toBe(2_000);
    expect(busyDelayMs(2, 1, () => 0.5)).toBe(2_500);
    expect(busyDelayMs(2, 1, () => 0.999_999)).toBe(3_000);
    const draws = Array.from({ length: 200 }, () => busyDelayMs(2, 1));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(3_000);
    // Spread out, not a herd: many distinct waits.
    expect(new Set(draws).size).toBeGreaterThan(50);
  });

  it('when the server names no wait (or 0), then it waits at least a second', () => {
    expect(busyDelayMs(undefined, 1, () => 0)).toBe(2_000);
    expect(busyDelayMs(0, 1, () => 0)).toBe(1_000);
  });
});

describe('withBusyRetry', () => {
  function answers(...list: Array<{ status: number; retryAfter?: number }>) {
    let calls = 0;
    const send = async () => list[Math.min(calls++, list.length - 1)]!;
    return { send, calls: () => calls };
  }
  const slept: number[] = [];
  const options = (waits: Array<BusyWait | null>) => ({
    onWait: (wait: BusyWait | null) => waits.push(wait),
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    random: () => 0,
    now: () => 1_000,
  });

  it('when GitTix is busy twice and then answers, then it waited as asked each time and returns the answer', async () => {
    slept.length = 0;
    const waits: Array<BusyWait | null> = [];
    const { send, calls } = answers(
      { status: 503, retryAfter: 2 },
      { status: 503, retryAfter: 2 },
      { status: 201 },
    );
    const result = await withBusyRetry(send, options(waits));
    expect(result).toEqual({ answer: { status: 201 }, gaveUp: false });
    expect(calls()).toBe(3);
    expect(slept).toEqual([2_000, 4_000]);
    expect(waits).toEqual([{ attempt: 1, retryAt: 3_000 }, { attempt: 2, retryAt: 5_000 }, null]);
  });

  it('when GitTix stays busy, then it gives up after the bound', async () => {
    slept.length = 0;
    const waits: Array<BusyWait | null> = [];
    const { send, calls } = answers({ status: 503, retryAfter: 1 });
    const result = await withBusyRetry(send, options(waits));
    expect(result.gaveUp).toBe(true);
    expect(calls()).toBe(BUSY_MAX_ATTEMPTS);
    expect(slept).toHaveLength(BUSY_MAX_ATTEMPTS - 1);
    expect(waits.at(-1)).toBeNull();
  });

  it.each([
    ['a 503 without Retry-After (an outage, not a refusal)', { status: 503 }],
    ['a 400', { status: 400 }],
    ['a 429 with Retry-After', { status: 429, retryAfter: 60 }],
  ])('when the answer is %s, then it is not retried', async (_what, answer) => {
    slept.length = 0;
    const { send, calls } = answers(answer);
    const result = await withBusyRetry(send, options([]));
    expect(result).toEqual({ answer, gaveUp: false });
    expect(calls()).toBe(1);
    expect(slept).toEqual([]);
  });
});

describe('busy digests (a page whose data was refused)', () => {
  it('when a busy digest is read back, then it carries its Retry-After; any other digest none', () => {
    expect(retryAfterOfDigest(busyDigest(4))).toBe(4);
    expect(retryAfterOfDigest('1234567')).toBeUndefined();
    expect(retryAfterOfDigest('GITTIX_BUSY:x')).toBeUndefined();
    expect(retryAfterOfDigest(null)).toBeUndefined();
  });
});
