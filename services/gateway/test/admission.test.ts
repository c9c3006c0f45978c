import type { ServerResponse } from 'node:http';
import { waitFor } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type FakeService, startFakeService } from './upstreams.js';

/** Orders that answer only when the test lets them; tickets that are themselves busy. */
let orders: FakeService;
let busyTickets: FakeService;
let other: FakeService;
const held: ServerResponse[] = [];
const releaseAll = () => {
  for (const response of held.splice(0)) {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end('{"id":"o1"}');
  }
};

beforeAll(async () => {
  orders = await startFakeService('orders', (_request, response) => {
    held.push(response);
  });
  busyTickets = await startFakeService('tickets', (_request, response) => {
    response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
    response.end(JSON.stringify({ errors: [{ message: 'The service is busy; retry in 5 s' }] }));
  });
  other = await startFakeService('other');
});

afterAll(async () => {
  releaseAll();
  await Promise.all([orders?.close(), busyTickets?.close(), other?.close()]);
});

const order = (base: string) =>
  fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"ticketId":"t1"}',
  });

async function listen(env: Record<string, string>) {
  const gateway = await buildGateway(
    {
      users: other.url,
      tickets: busyTickets.url,
      orders: orders.url,
      payments: other.url,
      web: other.url,
    },
    { env },
  );
  return { gateway, base: await gateway.listen({ port: 0, host: '127.0.0.1' }) };
}

describe('when the gateway has ADMISSION_MAX_IN_FLIGHT=2', () => {
  let gateway: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    ({ gateway, base } = await listen({
      ADMISSION_MAX_IN_FLIGHT: '2',
      ADMISSION_RETRY_AFTER_SECONDS: '4',
    }));
  });
  afterAll(async () => {
    releaseAll();
    await gateway?.close();
  });

  it('when two requests are in flight, then the next are 503 + Retry-After in the error shape, never reach a service, and health answers', async () => {
    const seenBefore = orders.seen.length;
    const first = [order(base), order(base)];
    await waitFor(() => held.length === 2, { timeoutMs: 10_000, message: 'two orders held' });

    for (const response of await Promise.all([order(base), fetch(`${base}/api/users/x`)])) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('4');
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(await response.json()).toEqual({
        errors: [{ message: 'The service is busy; retry in 4 s' }],
      });
    }
    expect(orders.seen.length - seenBefore).toBe(2);
    expect(other.seen.filter((r) => r.url === '/api/users/x')).toEqual([]);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^http_requests_refused_total\{[^}]*reason="in_flight"[^}]*\} 2$/m);

    releaseAll();
    for (const response of await Promise.all(first)) expect(response.status).toBe(201);
    // Their places are free again.
    await waitFor(() => gateway.admission.inFlight() === 0, { timeoutMs: 10_000 });
    const next = order(base);
    await waitFor(() => held.length === 1, { timeoutMs: 10_000, message: 'the next order held' });
    releaseAll();
    expect((await next).status).toBe(201);
  });
});

describe('with the default limits', () => {
  let gateway: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    ({ gateway, base } = await listen({}));
  });
  afterAll(async () => {
    releaseAll();
    await gateway?.close();
  });

  it('when 100 requests are in flight at once, then none is refused', async () => {
    const answers = Array.from({ length: 100 }, () => order(base));
    await waitFor(() => held.length === 100, { timeoutMs: 20_000, message: '100 orders held' });
    releaseAll();
    const statuses = (await Promise.all(answers)).map((r) => r.status);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
  });

  it('when a service refuses with 503 + Retry-After, then the client gets its answer unchanged', async () => {
    const response = await fetch(`${base}/api/tickets`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual({
      errors: [{ message: 'The service is busy; retry in 5 s' }],
    });
  });
});
