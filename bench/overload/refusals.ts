import { parseMetrics } from '@gittix/common/testing';

/**
 * Refusals so far, by `<service> <reason>`: the limit of admission control that refused
 * (`in_flight`, `latency`, `queue`, or under-pressure's `eventLoopDelay`).
 */
export type RefusalCounts = Record<string, number>;

const REFUSED = 'http_requests_refused_total';

/** The refusals counted in one /metrics body, by reason. */
export function refusalsIn(metrics: string): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const sample of parseMetrics(metrics)) {
    if (sample.name !== REFUSED) continue;
    const reason = sample.labels.reason ?? 'unknown';
    byReason[reason] = (byReason[reason] ?? 0) + sample.value;
  }
  return byReason;
}

/**
 * Reads every service's admission counter from its /metrics: which instance refused,
 * and by which limit. A refusal the gateway makes costs it one constant answer; one
 * made by a service behind it has cost the gateway a whole proxied request first.
 */
export function refusalCounter(urls: Record<string, string>): () => Promise<RefusalCounts> {
  return async () => {
    const counts: RefusalCounts = {};
    for (const [service, url] of Object.entries(urls)) {
      const response = await fetch(`${url}/metrics`);
      if (!response.ok) throw new Error(`${service} /metrics answered ${response.status}`);
      for (const [reason, n] of Object.entries(refusalsIn(await response.text()))) {
        counts[`${service} ${reason}`] = n;
      }
    }
    return counts;
  };
}

/** What each counter added between two readings (counters that did not move are left out). */
export function refusalsBetween(before: RefusalCounts, after: RefusalCounts): RefusalCounts {
  const added: RefusalCounts = {};
  for (const [key, n] of Object.entries(after)) {
    const delta = n - (before[key] ?? 0);
    if (delta > 0) added[key] = delta;
  }
  return added;
}
