import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type FakeService, startFakeService } from './upstreams.js';

let web: FakeService;
let local: FastifyInstance;
let open: FastifyInstance;

beforeAll(async () => {
  web = await startFakeService('web');
  const urls = {
    users: web.url,
    tickets: web.url,
    orders: web.url,
    payments: web.url,
    web: web.url,
  };
  local = await buildGateway(urls, { env: { OPS_ENDPOINTS: 'local' } });
  open = await buildGateway(urls);
});

afterAll(async () => {
  await local?.close();
  await open?.close();
  await web?.close();
});

const from = (gateway: FastifyInstance, url: string, remoteAddress: string, headers = {}) =>
  gateway.inject({ method: 'GET', url, remoteAddress, headers });

describe('/metrics and /readyz on a published port (OPS_ENDPOINTS=local, as in Compose)', () => {
  it('when a client from outside the container asks, then both answer 404 and the site still works', async () => {
    // Escaped, the router still reaches the same routes: refused the same.
    for (const url of ['/metrics', '/readyz', '/metrics?x=1', '/%6detrics', '/%72eadyz']) {
      const response = await from(local, url, '172.18.0.1');
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toEqual({ errors: [{ message: 'Not found' }] });
    }
    // Any other spelling is another page of the site, never the metrics.
    for (const url of ['/metrics/', '/METRICS']) {
      expect((await from(local, url, '172.18.0.1')).json(), url).toMatchObject({ service: 'web' });
    }
    expect((await from(local, '/healthz', '172.18.0.1')).statusCode).toBe(200);
    expect((await from(local, '/', '172.18.0.1')).json()).toMatchObject({ service: 'web' });
  });

  it('when the container itself asks (its healthcheck), then they answer', async () => {
    expect((await from(local, '/readyz', '127.0.0.1')).statusCode).toBe(200);
    expect((await from(local, '/metrics', '::1')).statusCode).toBe(200);
  });

  it('when an outside client claims to be local in X-Forwarded-For, then it is still refused', async () => {
    const response = await from(local, '/metrics', '172.18.0.1', {
      'x-forwarded-for': '127.0.0.1',
    });
    expect(response.statusCode).toBe(404);
  });

  it('when OPS_ENDPOINTS is public (the default), then anyone may read them', async () => {
    expect((await from(open, '/metrics', '172.18.0.1')).statusCode).toBe(200);
  });
});
