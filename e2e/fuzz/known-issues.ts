import type { RawResponse } from './raw-http.js';

/** What was sent, as a known issue needs it to recognise its answer. */
export interface SentRequest {
  method: string;
  path: string;
  body: Buffer;
}

/**
 * A bug the fuzzer found that is reported and not fixed yet. Until the fix lands
 * the oracle lets an answer through only when `matches` says it is exactly that
 * known wrong answer (so everything else about such a request is still checked,
 * and FUZZ_STATS counts it), which keeps `npm test` usable meanwhile. Add its
 * smallest reproduction to regressions.ts under the same id: while the id is
 * listed here it runs as an expected failure, so the fix makes it fail — then
 * delete the entry here. See docs/fuzzing.md, "Known issues".
 */
export interface KnownIssue {
  id: string;
  summary: string;
  matches(response: RawResponse, sent: SentRequest): boolean;
}

/** Empty: everything found so far is fixed and kept in regressions.ts. */
export const knownIssues: KnownIssue[] = [];

/** Which known issue explains this answer, if any. */
export function knownIssueFor(response: RawResponse, sent: SentRequest): KnownIssue | undefined {
  return knownIssues.find((issue) => issue.matches(response, sent));
}
