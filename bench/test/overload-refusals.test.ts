import type { AddressInfo } from 'node:net';
import { createServiceApp, DEFAULT_ADMISSION } from '@gittix/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalCounter, refusalsBetween, refusalsIn } from '../overload/refusals.js';
import { refusedByText } from '../overload/report.js';

describe('who refused, read from the services’ admission counters', () => {
  // A real service app that serves one request at a time and holds it until told.
  const held: Array<() => void> = [];
  let app: Awaited<ReturnType<typeof createServiceApp>>;
  let url: string;

  beforeAll(async () => {
    app = await createServiceApp({
      name: 'holding',
      admission: { ...DEFAULT_ADMISSION, maxInFlight: 1, targetLatencyMs: 0 },
    });
    app.get(
      '/work',
      () => new Promise<{ done: boolean }>((resolve) => held.push(() => resolve({ done: true }))),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await app?.close();
  });

  it('when a service refuses requests during a step, then the step counts them by service and limit, and nothing else', async () => {
    const count = refusalCounter({ orders: url });
    const before = await count();
    const first = fetch(`${url}/work`);
    await expect.poll(() => held.length).toBe(1);
    const refused = await Promise.all([fetch(`${url}/work`), fetch(`${url}/work`)]);
    expect(refused.map((r) => r.status)).toEqual([503, 503]);
    const after = await count();
    held.shift()?.();
    expect((await first).status).toBe(200);

    expect(refusalsBetween(before, after)).toEqual({ 'orders in_flight': 2 });
    expect(refusedByText(refusalsBetween(before, after))).toBe('orders in_flight 2');
    // A step in which nobody refused says so; one whose counters were not read, that.
    expect(refusedByText(refusalsBetween(after, after))).toBe('none');
    expect(refusedByText(undefined)).toBe('–');
  });

  it('when /metrics holds several limits and other series, then only the refusals are read, summed by reason', () => {
    const text = [
      '# HELP http_requests_refused_total Requests refused with 503 by admission control',
      '# TYPE http_requests_refused_total counter',
      'http_requests_refused_total{reason="in_flight",gittix_service="gateway"} 64008',
      'http_requests_refused_total{reason="latency",gittix_service="gateway"} 1307',
      'http_requests_total{status_code="503"} 9',
    ].join('\n');
    expect(refusalsIn(text)).toEqual({ in_flight: 64008, latency: 1307 });
    expect(
      refusedByText({ 'gateway latency': 1307, 'gateway in_flight': 64008, 'orders latency': 12 }),
    ).toBe('gateway in_flight 64,008; gateway latency 1,307; orders latency 12');
  });
});
