import type fc from 'fast-check';

/**
 * `npm test` runs every property with a fixed seed and few runs; `npm run fuzz`
 * sets FUZZ_RUNS high. FUZZ_SEED picks another sequence, and FUZZ_SEED with
 * FUZZ_PATH (both printed by a failure) replays one counterexample: run the one
 * failing test with `-t`, since the path belongs to that property.
 */
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? 20_240_611);
const fuzzPath = process.env.FUZZ_PATH;
const baseRuns = Number(process.env.FUZZ_RUNS ?? 30);

if (!Number.isInteger(fuzzSeed))
  throw new Error(`FUZZ_SEED must be an integer: ${process.env.FUZZ_SEED}`);
if (!Number.isInteger(baseRuns) || baseRuns < 1) {
  throw new Error(`FUZZ_RUNS must be a positive integer: ${process.env.FUZZ_RUNS}`);
}

/**
 * Runs for one property: FUZZ_RUNS (default 30) times its weight. HTTP properties
 * weigh 1; event properties, whose runs wait for consumers, weigh less.
 */
export function fuzzRuns(weight = 1): number {
  return Math.max(1, Math.round(baseRuns * weight));
}

export function fuzzParameters<T>(weight = 1): fc.Parameters<T> {
  return {
    seed: fuzzSeed,
    numRuns: fuzzRuns(weight),
    ...(fuzzPath ? { path: fuzzPath, endOnFailure: true } : {}),
    verbose: 1,
  };
}

/** A generous per-test timeout for `runs` runs of `perRunMs` each, plus shrinking. */
export function fuzzTimeout(weight: number, perRunMs: number): number {
  return 120_000 + fuzzRuns(weight) * perRunMs * 2;
}
