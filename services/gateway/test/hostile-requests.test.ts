import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type FakeService, startFakeService } from './upstreams.js';

let services: FakeService[];
let gateway: FastifyInstance;
let baseUrl: string;

beforeAll(async () => {
  services = await Promise.all(
    ['users', 'tickets', 'orders', 'payments', 'web'].map((name) => startFakeService(name)),
  );
  const [users, tickets, orders, payments, web] = services.map((s) => s.url) as [
    string,
    string,
    string,
    string,
    string,
  ];
  gateway = await buildGateway({ users, tickets, orders, payments, web });
  baseUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(services.map((service) => service.close()));
});

const notFound = { errors: [{ message: 'Not found' }] };

/** Sends bytes exactly as given (fetch would normalise the path) and returns the raw answer. */
function rawRequest(bytes: Buffer): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('hostile requests at the gateway', () => {
  it.each([
    ['escapes that are not UTF-8', '/api/tickets/%C0%AE'],
    ['a climbing segment', '/api/tickets/%2e%2e'],
    ['a climbing segment into another service', '/api/tickets/..%2F..%2Fapi%2Fusers'],
    ['a dot segment', '/api/orders/%2E'],
  ])(
    'when the path has %s, then it is a 404 in the error shape and no service sees it',
    async (_what, path) => {
      const seenBefore = services.map((s) => s.seen.length);
      // Raw bytes: fetch would resolve the dot segments before sending.
      const answer = await rawRequest(
        Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      expect(answer).toMatch(/^HTTP\/1\.1 404 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(notFound);
      expect(services.map((s) => s.seen.length)).toEqual(seenBefore);
    },
  );

  it('when the request line holds a raw non-ASCII byte, then the answer is a 400 in the error shape', async () => {
    const answer = await rawRequest(
      Buffer.concat([
        Buffer.from('GET /api/tickets/caf'),
        Buffer.from([0xe9]),
        Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
      ]),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(
      JSON.stringify({ errors: [{ message: 'Malformed HTTP request' }] }),
    );
  });

  it('when a body is larger than the services accept, then the gateway answers 413 without proxying it', async () => {
    const seenBefore = services.map((s) => s.seen.length);
    const response = await fetch(`${baseUrl}/api/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x'.repeat(200 * 1024), price: 1 }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body is too large' }] });
    expect(services.map((s) => s.seen.length)).toEqual(seenBefore);
  });

  it('when a body larger than the services accept comes in chunks, without a length, then the gateway answers 413 and the service never gets all of it', async () => {
    const seenBefore = services.map((s) => s.seen.length);
    const chunk = new TextEncoder().encode('x'.repeat(8 * 1024));
    let sent = 0;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // 300 KiB in 8 KiB chunks: past the 100 KiB limit, whatever the service does.
          if (sent % 38 === 37) controller.close();
          else controller.enqueue(chunk);
          sent += 1;
        },
      });
      const response = await fetch(`${baseUrl}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ errors: [{ message: 'Request body is too large' }] });
    }
    expect(services.map((s) => s.seen.length)).toEqual(seenBefore);
  });

  it('when a small body comes in chunks, then it reaches the service whole', async () => {
    const parts = ['{"title":', '"Row A",', '"price":10}'];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts.shift();
        if (part === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(part));
      },
    });
    const response = await fetch(`${baseUrl}/api/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    const tickets = services.find((s) => s.name === 'tickets');
    expect(tickets?.seen.at(-1)?.body).toBe('{"title":"Row A","price":10}');
  });
});
