import { startServiceProcess } from '@gittix/common/testing';
import { describe, expect, it } from 'vitest';
import { closedUrl } from './upstreams.js';

const serviceDir = new URL('..', import.meta.url);

describe('gateway as a process (main.ts)', () => {
  it('when started with its services down, then it is healthy, answers 503 for them, and stops on SIGTERM', async () => {
    const down = await closedUrl();
    const gateway = await startServiceProcess(serviceDir, {
      AUTH_URL: down,
      TICKETS_URL: down,
      ORDERS_URL: down,
      PAYMENTS_URL: down,
      WEB_URL: down,
    });
    try {
      await gateway.ready('/healthz');

      const tickets = await fetch(`${gateway.url}/api/tickets`);
      expect(tickets.status).toBe(503);
      expect(await tickets.json()).toEqual({
        errors: [{ message: 'Tickets service unavailable' }],
      });

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      expect(gateway.output()).toContain('gateway stopped');
    } finally {
      gateway.child.kill('SIGKILL');
    }
  });

  it('when an upstream URL is not http(s), then it exits 1 naming the key', async () => {
    const gateway = await startServiceProcess(serviceDir, { TICKETS_URL: 'tickets:3002' });

    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain('TICKETS_URL: Must be an http:// or https:// URL');
  });
});
