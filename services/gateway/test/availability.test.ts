import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { capturingLogger, waitFor } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, closedUrl, type FakeService, startFakeService } from './upstreams.js';

let down: string;
let gateway: FastifyInstance;
let gatewayUrl: string;

// Over a real socket: how a failed upstream leaves the client's connection matters here.
beforeAll(async () => {
  down = await closedUrl();
  gateway = await buildGateway({
    users: down,
    tickets: down,
    orders: down,
    payments: down,
    web: down,
  });
  gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.close();
});

describe('when an upstream is down', () => {
  it.each([
    ['GET', '/api/users/currentuser', 'Users service unavailable'],
    ['GET', '/api/tickets', 'Tickets service unavailable'],
    ['POST', '/api/orders', 'Orders service unavailable'],
    ['POST', '/api/payments', 'Payments service unavailable'],
    ['GET', '/tickets/new', 'Web service unavailable'],
  ])(
    'when %s %s cannot connect, then 503 in the one error shape',
    async (method, path, message) => {
      const response = await fetch(`${gatewayUrl}${path}`, {
        method,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/json' }, body: '{"ticketId":"x"}' }
          : {}),
      });

      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ errors: [{ message }] });
      expect(response.headers.get('x-request-id')).toBeTruthy();
    },
  );

  it('when large bodies are posted to a down service, then each gets its 503 and the connection stays usable', async () => {
    // Just under the body limit (larger ones never leave the gateway).
    for (const size of [100_000, 100, 100_000]) {
      const response = await fetch(`${gatewayUrl}/api/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'x'.repeat(size) }),
        signal: AbortSignal.timeout(5_000),
      });

      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        errors: [{ message: 'Payments service unavailable' }],
      });
    }
  });

  it('when everything behind it is down, then the gateway is still healthy and ready', async () => {
    const health = await gateway.inject({ method: 'GET', url: '/healthz' });
    const ready = await gateway.inject({ method: 'GET', url: '/readyz' });

    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    expect(ready.statusCode).toBe(200);
  });
});

describe('when an upstream is slow or failing', () => {
  let hanging: FakeService;
  let unready: FakeService;
  let gatewayWithTimeout: FastifyInstance;

  beforeAll(async () => {
    hanging = await startFakeService('tickets', () => {
      // Never answers: only the gateway's timeout can end the request.
    });
    unready = await startFakeService('orders', (_request, response) => {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{"errors":[{"message":"Service unavailable, try again later"}]}');
    });
    gatewayWithTimeout = await buildGateway(
      { users: down, tickets: hanging.url, orders: unready.url, payments: down, web: down },
      { responseTimeoutMs: 300 },
    );
  });

  afterAll(async () => {
    await gatewayWithTimeout?.close();
    await hanging?.close();
    await unready?.close();
  });

  it('when the upstream does not answer in time, then 503 soon after the timeout, not a hang', async () => {
    const started = Date.now();

    const response = await gatewayWithTimeout.inject({ method: 'GET', url: '/api/tickets' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ errors: [{ message: 'Tickets service unavailable' }] });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('when the upstream answers something that is not HTTP, then 502 in the error shape', async () => {
    const garbage = createNetServer((socket) => socket.end('this is not HTTP\r\n\r\n'));
    garbage.listen(0, '127.0.0.1');
    await once(garbage, 'listening');
    const { port } = garbage.address() as AddressInfo;
    const viaGarbage = await buildGateway({
      users: down,
      tickets: down,
      orders: down,
      payments: `http://127.0.0.1:${port}`,
      web: down,
    });
    try {
      const response = await viaGarbage.inject({ method: 'GET', url: '/api/payments' });

      expect(response.statusCode).toBe(502);
      expect(response.json()).toEqual({ errors: [{ message: 'Payments service unavailable' }] });
    } finally {
      await viaGarbage.close();
      garbage.close();
    }
  });

  it('when the upstream itself answers 503, then that answer passes through once, without retries', async () => {
    const response = await gatewayWithTimeout.inject({ method: 'GET', url: '/api/orders' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      errors: [{ message: 'Service unavailable, try again later' }],
    });
    expect(unready.seen).toHaveLength(1);
  });
});

describe('when the gateway stops', () => {
  it('when a request is in flight, then it is answered and the gateway closes without waiting for idle keep-alive', async () => {
    let answer: () => void = () => {};
    const slow = await startFakeService('tickets', (_request, response) => {
      answer = () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"slow":true}');
      };
    });
    const stopping = await buildGateway({
      users: down,
      tickets: slow.url,
      orders: down,
      payments: down,
      web: down,
    });
    try {
      const url = await stopping.listen({ port: 0, host: '127.0.0.1' });
      const inFlight = fetch(`${url}/api/tickets`);
      await waitFor(() => slow.seen.length === 1, { message: 'the request upstream' });

      const closed = stopping.close();
      answer();
      const response = await inFlight;

      expect(response.status).toBe(200);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toEqual({ slow: true });
      const started = Date.now();
      await closed;
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });
});

describe('when the client goes away before its answer', () => {
  it('when a client closes its connection while orders is still answering, then the gateway logs it at info, not as an error, and counts no 5xx', async () => {
    const { logger, lines } = capturingLogger('gateway');
    let answer: (() => void) | undefined;
    const slow = await startFakeService('orders', (_request, response) => {
      answer = () => response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
    const proxy = await buildGateway(
      { users: down, tickets: down, orders: slow.url, payments: down, web: down },
      { logger },
    );
    const url = await proxy.listen({ port: 0, host: '127.0.0.1' });
    try {
      // A buyer closes the tab while the order is being placed: the connection closes.
      const placing = httpRequest(`${url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      placing.on('error', () => {});
      placing.end('{"ticketId":"x"}');
      await waitFor(() => answer !== undefined, { message: 'the order to reach orders' });
      placing.destroy();
      const open = () =>
        new Promise<number>((resolve, reject) =>
          proxy.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
        );
      await waitFor(async () => (await open()) === 0, { message: 'the gateway to see it closed' });
      answer!();

      const told = await waitFor(
        () => lines.find((line) => line.reqId !== undefined && line.level >= 30),
        { message: 'the gateway to log the request' },
      );
      expect(told.msg).toBe('client went away before its answer was sent');
      expect(told.level).toBe(30);
      expect(lines.filter((line) => line.level >= 40)).toEqual([]);
      const metrics = (await proxy.inject({ url: '/metrics' })).body;
      expect(metrics).not.toMatch(/http_request_duration_seconds_count\{[^}]*status_code="5\d\d"/);
    } finally {
      await proxy.close();
      await slow.close();
    }
  });
});
