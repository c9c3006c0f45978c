import type { AddressInfo } from 'node:net';
import { slowClient, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, closedUrl, type FakeService, startFakeService } from './upstreams.js';

function document(group: string) {
  return {
    openapi: '3.0.3',
    info: { title: `GitTix ${group}`, version: '1.0.0' },
    paths: { [`/api/${group}`]: { get: { responses: { 200: { description: 'ok' } } } } },
  };
}

/** A service serving its OpenAPI document, or 503 while `down` is set. */
async function documentService(group: string) {
  const state = { down: false };
  const service = await startFakeService(group, (request, response) => {
    if (!request.url.endsWith('/openapi.json') || state.down) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(document(group)));
  });
  return Object.assign(service, { state });
}

const documentFetches = (service: FakeService) =>
  service.seen.filter((request) => request.url.endsWith('/openapi.json')).length;

describe('GET /api/docs/openapi.json is cached', () => {
  let services: Array<Awaited<ReturnType<typeof documentService>>>;

  beforeAll(async () => {
    services = await Promise.all(
      ['users', 'tickets', 'orders', 'payments'].map((group) => documentService(group)),
    );
  });
  afterAll(() => Promise.all(services.map((service) => service.close())));

  const gatewayFor = async () =>
    buildGateway({
      users: services[0]!.url,
      tickets: services[1]!.url,
      orders: services[2]!.url,
      payments: services[3]!.url,
      web: await closedUrl(),
    });

  it('when 50 anonymous requests ask for the document (25 at once, then 25 in turn), then each service is asked once', async () => {
    const gateway = await gatewayFor();
    const before = services.map(documentFetches);
    try {
      const ask = () => gateway.inject({ method: 'GET', url: '/api/docs/openapi.json' });
      const together = await Promise.all(Array.from({ length: 25 }, ask));
      for (let i = 0; i < 25; i += 1) together.push(await ask());
      for (const response of together) {
        expect(response.statusCode).toBe(200);
        expect(Object.keys(response.json().paths)).toHaveLength(4);
      }
      expect(together[0]!.headers['cache-control']).toBe('public, max-age=60');
      // Swagger UI's own copy comes from the same cache.
      expect((await gateway.inject({ method: 'GET', url: '/api/docs/json' })).statusCode).toBe(200);
      expect(services.map(documentFetches)).toEqual(before.map((n) => n + 1));
    } finally {
      await gateway.close();
    }
  });

  it('when a service did not answer, then the document is fetched again within seconds and includes it once it is back', async () => {
    const payments = services[3]!;
    payments.state.down = true;
    const gateway = await gatewayFor();
    try {
      const first = await gateway.inject({ method: 'GET', url: '/api/docs/openapi.json' });
      expect(first.json().info.description).toContain('did not answer: Payments.');
      payments.state.down = false;
      const healed = await waitFor(
        async () => {
          const response = await gateway.inject({ method: 'GET', url: '/api/docs/openapi.json' });
          return response.json().paths['/api/payments'] ? response : undefined;
        },
        { timeoutMs: 8_000, message: 'the document to include payments again' },
      );
      expect(healed.statusCode).toBe(200);
    } finally {
      payments.state.down = false;
      await gateway.close();
    }
  });
});

describe('gateway timeouts for slow clients', () => {
  it('when a client trickles its headers (slow loris), then the gateway answers 408 and closes within HTTP_HEADERS_TIMEOUT_MS', async () => {
    const down = await closedUrl();
    const gateway = await buildGateway(
      { users: down, tickets: down, orders: down, payments: down, web: down },
      { env: { HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' } },
    );
    try {
      await gateway.listen({ port: 0, host: '127.0.0.1' });
      const { port } = gateway.server.address() as AddressInfo;
      const result = await slowClient({
        port,
        opening: 'GET /api/tickets HTTP/1.1\r\nHost: gittix\r\n',
        drip: 'X-Slow: y\r\n',
        dripEveryMs: 100,
        deadlineMs: 5_000,
      });
      expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
      expect(result.closedAfterMs).toBeLessThan(3_000);
    } finally {
      await gateway.close();
    }
  });
});
