import { Gauge, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scrapeReading } from '../../src/metrics/scrape-reading.js';

/** A reader that counts its calls and settles each one when the test says so. */
function controlledReader<T>() {
  const calls: Array<{ resolve: (value: T) => void; reject: (error: Error) => void }> = [];
  const read = () =>
    new Promise<T>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { read, calls };
}

describe('scrapeReading: one reading shared by the gauges of a scrape', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when a registry with two gauges on one reading is scraped, then it reads once per scrape', async () => {
    vi.useRealTimers();
    let reads = 0;
    const read = scrapeReading(async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { a: reads, b: reads * 10 };
    });
    const registry = new Registry();
    for (const [name, key] of [
      ['reading_a', 'a'],
      ['reading_b', 'b'],
    ] as const) {
      new Gauge({
        name,
        help: name,
        registers: [registry],
        async collect() {
          const value = await read();
          if (value) this.set(value[key]);
        },
      });
    }

    const first = await registry.metrics();
    expect(reads).toBe(1);
    expect(first).toContain('reading_a 1');
    expect(first).toContain('reading_b 10');
    const second = await registry.metrics();
    expect(reads).toBe(2);
    expect(second).toContain('reading_a 2');
    expect(second).toContain('reading_b 20');
  });

  it('when collects come while a reading is on its way, then they join it; once it settles, the next reads again', async () => {
    const { read, calls } = controlledReader<number>();
    const reading = scrapeReading(read);

    const joined = [reading(), reading(), reading()];
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(7);
    expect(await Promise.all(joined)).toEqual([7, 7, 7]);

    const next = reading();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(8);
    expect(await next).toBe(8);
  });

  it('when reuseMs is set, then a reading answers the scrapes of that window and the first after it reads again', async () => {
    const { read, calls } = controlledReader<number>();
    const reading = scrapeReading(read, { reuseMs: 5_000 });

    const first = reading();
    calls[0]!.resolve(1);
    expect(await first).toBe(1);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(await reading()).toBe(1);
    expect(calls).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1_001);
    const later = reading();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(2);
    expect(await later).toBe(2);
  });

  it('when a reading fails, then it answers with the last one that succeeded (none before the first), and is not reused', async () => {
    const { read, calls } = controlledReader<number>();
    const reading = scrapeReading(read, { reuseMs: 5_000 });

    const before = reading();
    calls[0]!.reject(new Error('database away'));
    expect(await before).toBeUndefined();

    const ok = reading();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(3);
    expect(await ok).toBe(3);

    await vi.advanceTimersByTimeAsync(5_001);
    const failed = reading();
    calls[2]!.reject(new Error('database away'));
    expect(await failed).toBe(3);
    // Not reused: the very next scrape asks again.
    void reading();
    expect(calls).toHaveLength(4);
  });

  it('when a reading hangs past timeoutMs, then scrapes answer with the last values and do not wait again or pile up readings', async () => {
    const { read, calls } = controlledReader<number>();
    const reading = scrapeReading(read, { timeoutMs: 2_000 });

    const first = reading();
    calls[0]!.resolve(4);
    expect(await first).toBe(4);

    const hanging = reading();
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await hanging).toBe(4);

    // Still hanging: answered at once, with no second reading started.
    let answered: number | undefined;
    void reading().then((value) => {
      answered = value;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(answered).toBe(4);
    expect(calls).toHaveLength(2);

    // It ends at last: the next scrape reads again and gets the new values.
    calls[1]!.resolve(5);
    await vi.advanceTimersByTimeAsync(0);
    const next = reading();
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(6);
    expect(await next).toBe(6);
  });
});
