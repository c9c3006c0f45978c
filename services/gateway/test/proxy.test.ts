import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildGateway,
  type FakeService,
  type FakeUpstreams,
  gatewayWithFakes,
  startFakeService,
} from './upstreams.js';

let services: FakeUpstreams;
let gateway: FastifyInstance;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ gateway, services, close } = await gatewayWithFakes());
});

afterAll(async () => {
  await close?.();
});

const lastSeenBy = (service: FakeService) => service.seen.at(-1)!;

describe('routing', () => {
  it.each([
    ['/api/users/currentuser', 'users'],
    ['/api/users', 'users'],
    ['/api/tickets', 'tickets'],
    ['/api/tickets/4b5c?available=true&q=rock%20band', 'tickets'],
    ['/api/orders/1', 'orders'],
    ['/api/payments', 'payments'],
    ['/api/payouts/balance', 'payments'],
    ['/', 'web'],
    ['/tickets/123/edit', 'web'],
    ['/_next/static/chunk.js', 'web'],
    ['/apix', 'web'],
  ])('when %s is requested, then %s answers it with the path unchanged', async (url, name) => {
    const response = await gateway.inject({ method: 'GET', url });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ service: name, method: 'GET', url });
  });

  it.each([
    ['GET', '/api'],
    ['GET', '/api/'],
    ['POST', '/api/nope'],
    ['GET', '/api/usersx'],
    ['DELETE', '/api/nope/deeper?x=1'],
  ])(
    'when %s %s names no service, then the API answers 404 in its error shape (not the web app)',
    async (method, url) => {
      const before = services.web.seen.length;
      const response = await gateway.inject({ method: method as 'GET', url });

      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ errors: [{ message: 'Not found' }] });
      expect(services.web.seen.length).toBe(before);
    },
  );

  it('when the upstream answers with an error status and body, then both pass through', async () => {
    const failing = await startFakeService('tickets', (_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: 'Title is required', field: 'title' }] }));
    });
    const viaFailing = await buildGateway({ ...urlsOf(services), tickets: failing.url });
    try {
      const response = await viaFailing.inject({
        method: 'POST',
        url: '/api/tickets',
        payload: {},
      });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        errors: [{ message: 'Title is required', field: 'title' }],
      });
    } finally {
      await viaFailing.close();
      await failing.close();
    }
  });
});

describe('request headers', () => {
  it('when a request carries cookies, then the upstream gets the Cookie header untouched', async () => {
    const cookie = 'session=eyJ.abc.def; theme=dark; other="quoted value"';

    await gateway.inject({ method: 'GET', url: '/api/orders', headers: { cookie } });

    expect(lastSeenBy(services.orders).headers.cookie).toBe(cookie);
  });

  it('when a request has no x-request-id, then one is made, sent upstream and returned', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/api/tickets' });

    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastSeenBy(services.tickets).headers['x-request-id']).toBe(id);
  });

  it('when a request brings a valid x-request-id, then it is kept end to end', async () => {
    const response = await gateway.inject({
      method: 'GET',
      url: '/api/tickets',
      headers: { 'x-request-id': 'trace-42.a:b' },
    });

    expect(response.headers['x-request-id']).toBe('trace-42.a:b');
    expect(lastSeenBy(services.tickets).headers['x-request-id']).toBe('trace-42.a:b');
  });

  it('when the ingress stamps X-Request-Start, then the service behind gets the same stamp (its queue-time limit counts from the ingress)', async () => {
    await gateway.inject({
      method: 'GET',
      url: '/api/tickets',
      headers: { 'x-request-start': 't=1764921600.123' },
    });

    expect(lastSeenBy(services.tickets).headers['x-request-start']).toBe('t=1764921600.123');
  });

  it('when a request brings a malformed x-request-id, then a fresh one replaces it', async () => {
    const response = await gateway.inject({
      method: 'GET',
      url: '/api/tickets',
      headers: { 'x-request-id': 'no spaces or <html> allowed' },
    });

    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastSeenBy(services.tickets).headers['x-request-id']).toBe(
      response.headers['x-request-id'],
    );
  });

  it('when forwarding, then x-forwarded-for/-proto/-host describe the client', async () => {
    await gateway.inject({
      method: 'GET',
      url: '/api/users/currentuser',
      headers: { host: 'gittix.example:3000' },
      remoteAddress: '203.0.113.7',
    });

    expect(lastSeenBy(services.users).headers).toMatchObject({
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'gittix.example:3000',
    });
  });

  it('when a client forges X-Forwarded-For and no proxy is trusted, then the real address is sent', async () => {
    await gateway.inject({
      method: 'GET',
      url: '/api/users/currentuser',
      headers: { 'x-forwarded-for': '1.2.3.4' },
      remoteAddress: '203.0.113.8',
    });

    expect(lastSeenBy(services.users).headers['x-forwarded-for']).toBe('203.0.113.8');
  });

  it('when the proxy in front is trusted, then the client it names is sent', async () => {
    const behindProxy = await buildGateway(urlsOf(services), { trustProxy: '10.0.0.0/8' });
    try {
      await behindProxy.inject({
        method: 'GET',
        url: '/api/users/currentuser',
        headers: { 'x-forwarded-for': '198.51.100.9' },
        remoteAddress: '10.1.2.3',
      });

      expect(lastSeenBy(services.users).headers['x-forwarded-for']).toBe('198.51.100.9');
    } finally {
      await behindProxy.close();
    }
  });
});

describe('responses and bodies', () => {
  it('when the upstream sets several cookies, then every Set-Cookie reaches the client untouched', async () => {
    const cookies = [
      'session=abc.def.ghi; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax',
      'theme=dark; Path=/',
    ];
    const auth = await startFakeService('users', (_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json', 'set-cookie': cookies });
      response.end('{"id":"1","email":"a@b.co"}');
    });
    const viaAuth = await buildGateway({ ...urlsOf(services), users: auth.url });
    try {
      const response = await viaAuth.inject({
        method: 'POST',
        url: '/api/users/signup',
        payload: { email: 'a@b.co', password: 'long enough' },
      });

      expect(response.statusCode).toBe(201);
      expect(response.headers['set-cookie']).toEqual(cookies);
    } finally {
      await viaAuth.close();
      await auth.close();
    }
  });

  it('when a JSON body is posted, then the upstream gets the same bytes and content type', async () => {
    const body = '{"title":"Concert","price":12.5,  "extra":[1,2]}';

    await gateway.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: body,
    });

    const seen = lastSeenBy(services.tickets);
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe(body);
    expect(seen.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('when the body is malformed JSON or not JSON at all, then the service decides, not the gateway', async () => {
    const malformed = await gateway.inject({
      method: 'POST',
      url: '/api/tickets',
      headers: { 'content-type': 'application/json' },
      payload: '{"title": ',
    });
    const text = await gateway.inject({
      method: 'PUT',
      url: '/api/tickets/1',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });

    expect(malformed.statusCode).toBe(200);
    expect(text.statusCode).toBe(200);
    expect(services.tickets.seen.slice(-2).map((r) => r.body)).toEqual(['{"title": ', 'hello']);
  });

  it("when the body is just under the services' limit, then it streams through whole", async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(100 * 1024 - 100) });

    const response = await gateway.inject({
      method: 'POST',
      url: '/api/payments',
      headers: { 'content-type': 'application/json' },
      payload: big,
    });

    expect(response.statusCode).toBe(200);
    expect(lastSeenBy(services.payments).body).toHaveLength(big.length);
  });
});

describe('caching of signed-in answers', () => {
  it.each([
    ['the session cookie', { cookie: 'session=eyJ.abc.def' }],
    ['a Bearer token', { authorization: 'Bearer eyJ.abc.def' }],
  ])(
    'when a signed-in request (%s) gets an answer that says nothing about caching, then no shared cache may keep it',
    async (_how, headers) => {
      // The stand-in answers with no Cache-Control, as orders, payments and payouts do:
      // a CDN or caching ingress would be free to keep one buyer's orders for the next.
      const response = await gateway.inject({ method: 'GET', url: '/api/orders', headers });

      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toMatch(/\bprivate\b/);
      expect(response.headers['cache-control']).toMatch(/\bno-store\b/);
    },
  );

  it("when the service says how to cache its answer, then the gateway keeps the service's word", async () => {
    const cached = await startFakeService('users', (_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=300',
      });
      response.end('{"keys":[]}');
    });
    const viaCached = await buildGateway({ ...urlsOf(services), users: cached.url });
    try {
      const response = await viaCached.inject({
        method: 'GET',
        url: '/api/users/jwks.json',
        headers: { cookie: 'session=eyJ.abc.def' },
      });
      expect(response.headers['cache-control']).toBe('public, max-age=300');
    } finally {
      await viaCached.close();
      await cached.close();
    }
  });

  it('when a web page or asset is proxied, then its caching is left to the web app', async () => {
    const response = await gateway.inject({
      method: 'GET',
      url: '/_next/static/chunk.js',
      headers: { cookie: 'session=eyJ.abc.def' },
    });
    expect(response.headers['cache-control']).toBeUndefined();
  });
});

function urlsOf(all: typeof services) {
  return {
    users: all.users.url,
    tickets: all.tickets.url,
    orders: all.orders.url,
    payments: all.payments.url,
    web: all.web.url,
  };
}
