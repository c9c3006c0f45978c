/** Percentiles computed plainly from every sample (nearest rank, no buckets, no sampling). */
export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /**
   * The distribution the charts draw, small enough to save with the run: the
   * nearest-rank quantiles at q = k/m for k = 1…m, m = min(count, 1000) (so every
   * sample when there are at most 1000). p50, p90, p99 and max are among them.
   * Absent in runs saved before the reports had charts.
   */
  quantiles?: number[];
}

/** At most this many quantiles are kept per distribution: 0.1 % steps. */
export const DISTRIBUTION_POINTS = 1000;

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const points = Math.min(sorted.length, DISTRIBUTION_POINTS);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    // Rank ⌈k·n/m⌉ in integers: (k/m)·n in floating point can land just past an integer.
    quantiles: Array.from(
      { length: points },
      (_, k) => sorted[Math.ceil(((k + 1) * sorted.length) / points) - 1]!,
    ),
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds on one clock for every process on this machine (sub-millisecond). */
export const now = () => performance.timeOrigin + performance.now();
