import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, closedUrl, type FakeService, startFakeService } from './upstreams.js';

function serviceDocument(group: string, schemaName = 'Thing', schema: object = { type: 'object' }) {
  return {
    openapi: '3.0.3',
    info: { title: `GitTix ${group}`, version: '1.0.0' },
    paths: {
      [`/api/${group}`]: {
        get: {
          summary: `List ${group}`,
          responses: { 200: { $ref: `#/components/responses/${schemaName}List` } },
        },
      },
    },
    components: {
      schemas: { [schemaName]: schema },
      responses: {
        [`${schemaName}List`]: {
          description: 'ok',
          content: {
            'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } },
          },
        },
      },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'session' } },
    },
  };
}

function servesDocument(document: object) {
  return (request: { url: string }, response: ServerResponse) => {
    if (request.url.endsWith('/openapi.json')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(document));
      return;
    }
    response.writeHead(404).end();
  };
}

let users: FakeService;
let tickets: FakeService;
let orders: FakeService;
let gateway: FastifyInstance;

beforeAll(async () => {
  users = await startFakeService('users', servesDocument(serviceDocument('users', 'User')));
  // Tickets and orders both call a different schema "Item": the merge must keep both.
  tickets = await startFakeService(
    'tickets',
    servesDocument(serviceDocument('tickets', 'Item', { type: 'object', title: 'ticket' })),
  );
  orders = await startFakeService(
    'orders',
    servesDocument(serviceDocument('orders', 'Item', { type: 'object', title: 'order' })),
  );
  const down = await closedUrl();
  gateway = await buildGateway({
    users: users.url,
    tickets: tickets.url,
    orders: orders.url,
    payments: down,
    web: down,
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([users, tickets, orders].map((service) => service?.close()));
});

describe('GET /api/docs/openapi.json', () => {
  it('when services publish documents, then their paths are merged into one OpenAPI 3 document', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/api/docs/openapi.json' });

    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.0.3');
    expect(document.info.title).toBe('GitTix API');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/orders',
      '/api/tickets',
      '/api/users',
    ]);
    expect(document.paths['/api/users'].get.tags).toEqual(['Users']);
    expect(document.tags.map((t: { name: string }) => t.name)).toEqual([
      'Users',
      'Tickets',
      'Orders',
    ]);
    expect(Object.keys(document.components.securitySchemes)).toEqual(['session']);
  });

  it('when a service is down, then the document says so and carries the others', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/api/docs/openapi.json' });

    expect(response.json().info.description).toContain(
      'Not included because they did not answer: Payments.',
    );
  });

  it('when two services define one schema name differently, then both survive with their references', async () => {
    const { components, paths } = (
      await gateway.inject({ method: 'GET', url: '/api/docs/openapi.json' })
    ).json();

    expect(components.schemas.Item).toEqual({ type: 'object', title: 'ticket' });
    expect(components.schemas.Orders_Item).toEqual({ type: 'object', title: 'order' });
    expect(paths['/api/orders'].get.responses['200'].$ref).toBe(
      '#/components/responses/Orders_ItemList',
    );
    expect(components.responses.Orders_ItemList.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/Orders_Item',
    );
    expect(components.responses.ItemList.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/Item',
    );
  });

  it('when a service answers with something that is not OpenAPI, then it counts as unavailable', async () => {
    const odd = await startFakeService('users', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"hello":"world"}');
    });
    const down = await closedUrl();
    const viaOdd = await buildGateway({
      users: odd.url,
      tickets: down,
      orders: down,
      payments: down,
      web: down,
    });
    try {
      const document = (
        await viaOdd.inject({ method: 'GET', url: '/api/docs/openapi.json' })
      ).json();

      expect(document.paths).toEqual({});
      expect(document.info.description).toContain(
        'did not answer: Users, Tickets, Orders, Payments.',
      );
    } finally {
      await viaOdd.close();
      await odd.close();
    }
  });
});

describe('GET /api/docs', () => {
  it('when a person opens the docs, then an HTML page loads its scripts from the gateway itself', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/api/docs' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const sources = [...response.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => /^(https?:)?\/\//.test(source))).toEqual([]);
  });

  it('when the page asks for its assets, then they are served locally (works offline)', async () => {
    for (const asset of [
      '/api/docs/static/swagger-ui-bundle.js',
      '/api/docs/static/swagger-ui.css',
      '/api/docs/static/swagger-initializer.js',
    ]) {
      const response = await gateway.inject({ method: 'GET', url: asset });
      expect(response.statusCode, asset).toBe(200);
    }
  });

  it('when the page loads its document, then it gets the merged one', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/api/docs/json' });

    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json().paths)).toContain('/api/tickets');
  });
});
