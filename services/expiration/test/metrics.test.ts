import { randomUUID } from 'node:crypto';
import { metricValue, scrapeMetric, waitFor } from '@gittix/common/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerQueueMetrics } from '../src/metrics.js';
import { createExpirationFixture, type ExpirationFixture } from './fixtures.js';

describe('expiration /metrics', () => {
  let f: ExpirationFixture;

  beforeAll(async () => {
    f = await createExpirationFixture();
  });
  afterAll(() => f?.close());

  it('when orders are created, then the delayed jobs are counted and a due one is published and its delay observed', async () => {
    const service = await f.start();
    try {
      const metric = (name: string, labels: Record<string, string> = {}) =>
        scrapeMetric(service.app, name, labels);
      await f.orderCreated(60_000);
      await waitFor(
        async () => (await metric('gittix_expiration_jobs', { state: 'delayed' })) === 1,
        {
          message: 'the delayed job to be counted',
        },
      );
      expect(await metric('gittix_expiration_overdue_seconds')).toBe(0);

      const fired = await metric('gittix_expiration_delay_seconds_count');
      await f.orderCreated(-2_000);
      await waitFor(
        async () => (await metric('gittix_expiration_delay_seconds_count')) === fired + 1,
        {
          message: 'the due expiry to be published and observed',
        },
      );
      // It fired 2 s after its expiresAt: not in the buckets below that.
      expect(await metric('gittix_expiration_delay_seconds_bucket', { le: '1' })).toBe(0);
    } finally {
      await f.stop();
    }
  });

  it('when a due job waits and no worker fires it, then overdue shows how late it is', async () => {
    // The service is stopped: only the queue in Redis and the gauges reading it.
    const registry = new Registry();
    registerQueueMetrics(registry, f.expirations);
    await f.expirations.schedule({
      orderId: randomUUID(),
      expiresAt: new Date(Date.now() - 30_000).toISOString(),
    });
    const text = await registry.metrics();
    expect(metricValue(text, 'gittix_expiration_overdue_seconds')).toBeGreaterThanOrEqual(30);
    expect(metricValue(text, 'gittix_expiration_jobs', { state: 'waiting' })).toBe(1);
  });
});
