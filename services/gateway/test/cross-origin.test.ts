import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstreams, gatewayWithFakes } from './upstreams.js';

// SameSite=Lax keeps the session cookie off cross-site requests only. Another
// origin of the same site still gets it sent: another port of localhost (MailDev's
// inbox at :1080 shows emails' HTML), any subdomain of the production domain. A
// plain form there posting to /api/payouts, /api/users/signout or
// /api/users/verify/resend needs no body, so no content-type check ever stops it.

let services: FakeUpstreams;
let gateway: FastifyInstance;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ gateway, services, close } = await gatewayWithFakes());
});

afterAll(async () => {
  await close?.();
});

const session = { cookie: 'session=eyJ.abc.def', host: 'localhost:3000' };
const refused = { errors: [{ message: 'Cross-origin request refused' }] };
const seen = () => Object.values(services).map((service) => service.seen.length);

describe('state-changing API requests from another origin', () => {
  it.each([
    ['POST', '/api/payouts', { 'sec-fetch-site': 'same-site' }],
    ['POST', '/api/users/signout', { 'sec-fetch-site': 'same-site' }],
    ['DELETE', '/api/tickets/4b5c', { 'sec-fetch-site': 'cross-site' }],
    ['POST', '/api/payouts', { origin: 'http://localhost:1080' }],
    ['PUT', '/api/users/password', { origin: 'https://evil.example' }],
    ['POST', '/api/users/verify/resend', { origin: 'null' }],
  ])(
    'when %s %s comes from another origin (%j), then it is refused with 403 and no service sees it',
    async (method, url, headers) => {
      const before = seen();
      const response = await gateway.inject({
        method: method as 'POST',
        url,
        headers: { ...session, ...headers },
      });

      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual(refused);
      expect(seen()).toEqual(before);
    },
  );

  it.each([
    [
      'the page itself (same-origin)',
      { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:3000' },
    ],
    ['an older browser with its own Origin', { origin: 'http://localhost:3000' }],
    ['a non-browser client (no Origin, no Sec-Fetch-Site)', {}],
    ['a bookmark or typed address', { 'sec-fetch-site': 'none' }],
  ])('when the request comes from %s, then it goes through', async (_who, headers) => {
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/payouts',
      headers: { ...session, ...headers },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ service: 'payments', url: '/api/payouts' });
  });

  it.each([
    ['carries no cookie (nothing of the visitor is used)', { 'sec-fetch-site': 'cross-site' }],
    [
      'carries a Bearer token (which no other page can set)',
      {
        'sec-fetch-site': 'cross-site',
        cookie: 'session=eyJ.abc.def',
        authorization: 'Bearer eyJ.abc.def',
      },
    ],
  ])('when a cross-site write %s, then it goes through', async (_what, headers) => {
    const response = await gateway.inject({ method: 'POST', url: '/api/orders', headers });
    expect(response.statusCode).toBe(200);
  });

  it('when another site links to or reads a public API route (GET), then it is answered', async () => {
    const response = await gateway.inject({
      method: 'GET',
      url: '/api/tickets',
      headers: { 'sec-fetch-site': 'cross-site', origin: 'https://elsewhere.example' },
    });
    expect(response.statusCode).toBe(200);
  });

  it("when Stripe posts a webhook (a server: no browser's headers), then it reaches payments", async () => {
    const response = await gateway.inject({
      method: 'POST',
      url: '/api/payments/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' },
      payload: '{}',
    });
    expect(response.statusCode).toBe(200);
  });
});
