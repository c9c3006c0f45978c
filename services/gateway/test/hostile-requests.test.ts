import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeService, gatewayWithFakes } from './upstreams.js';

/** Every fake upstream: what each has been sent. */
let services: FakeService[];
let gateway: FastifyInstance;
let baseUrl: string;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const started = await gatewayWithFakes();
  ({ gateway, close } = started);
  services = Object.values(started.services);
  baseUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await close?.();
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

/**
 * Sends bytes and reads the answer until the gateway closes the connection or
 * `withinMs` passes (polled, never a fixed sleep): whether it closed is part of the answer.
 */
function rawExchange(bytes: Buffer, withinMs = 3_000): Promise<{ text: string; closed: boolean }> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, withinMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      clearTimeout(deadline);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    socket.write(bytes);
  });
}

const headOf = (text: string) => text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
/** The answer's body, de-chunked when it came in chunks. */
function bodyOf(text: string): string {
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  if (!/^transfer-encoding: chunked/m.test(headOf(text))) return body;
  let rest = body;
  let out = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
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

  it.each([
    ['an API service', '/api/tickets'],
    ['the web app', '/events'],
  ])(
    'when the client asks to close the connection, then %s answers and the gateway closes it, passing on none of the upstream connection headers',
    async (_who, path) => {
      // The stand-in services are node:http servers: they answer `Connection:
      // keep-alive` and `Keep-Alive: timeout=5`, which describe their own connection
      // to the gateway, not the gateway's to the client (RFC 9110 §7.6.1).
      const { text, closed } = await rawExchange(
        Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(headOf(text)).not.toMatch(/^keep-alive:/m);
      expect(headOf(text)).not.toMatch(/^connection: keep-alive/m);
      expect(closed).toBe(true);
    },
  );

  it("when a kept-alive request is proxied, then the keep-alive timeout announced is the gateway's own", async () => {
    const { text } = await rawExchange(
      Buffer.from('GET /api/tickets HTTP/1.1\r\nHost: x\r\n\r\n'),
      500,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(headOf(text)).not.toMatch(/^keep-alive: timeout=5$/m);
  });

  it.each([
    ['/api/tickets?q=rock', 'tickets'],
    ['/api/users/currentuser', 'users'],
    ['/events/1', 'web'],
  ])(
    'when the request target is in absolute form (http://host%s), then it is routed by its path, never a 500',
    async (path, name) => {
      const { text } = await rawExchange(
        Buffer.from(
          `GET http://gittix.example${path} HTTP/1.1\r\nHost: gittix.example\r\nConnection: close\r\n\r\n`,
        ),
      );
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(JSON.parse(bodyOf(text))).toEqual({ service: name, method: 'GET', url: path });
    },
  );

  it('when an absolute-form request target names another host, then nothing is fetched from it', async () => {
    const { text } = await rawExchange(
      Buffer.from(
        'GET http://127.0.0.1:1/api/tickets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      ),
    );
    // Routed by its path to the tickets stand-in: the authority is never a destination.
    expect(JSON.parse(bodyOf(text))).toEqual({
      service: 'tickets',
      method: 'GET',
      url: '/api/tickets',
    });
  });

  it.each([
    ['Expect: 100-continue', 'PUT', '/api/tickets/4b5c/file', 'application/pdf'],
    ['Upgrade: h2c', 'POST', '/api/orders', 'application/json'],
    ['Upgrade: websocket', 'GET', '/api/tickets', undefined],
    ['Keep-Alive: timeout=1', 'GET', '/api/users/currentuser', undefined],
    ['Proxy-Connection: keep-alive', 'GET', '/api/payments', undefined],
    ['Expect: 100-continue', 'POST', '/tickets/new', 'application/x-www-form-urlencoded'],
  ])(
    'when a request carries the hop-by-hop header %s, then it still reaches the service (%s %s), without that header',
    async (header, method, path, type) => {
      // curl sends `Expect: 100-continue` by itself for a body over 1 MiB: a ticket
      // file upload. The gateway's own server answers the 100; undici refuses to
      // send these headers on, which the client saw as "… service unavailable".
      const body = type ? '{"ticketId":"x"}' : '';
      const head =
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${header}\r\n` +
        (type ? `Content-Type: ${type}\r\nContent-Length: ${body.length}\r\n` : '');
      const { text } = await rawExchange(Buffer.from(`${head}\r\n${body}`));
      const final = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
      expect(final).toMatch(/^HTTP\/1\.1 200 /);
      expect(JSON.parse(bodyOf(final))).toMatchObject({ method, url: path });
      const name = header.slice(0, header.indexOf(':')).toLowerCase();
      const service = services.find((s) => s.seen.at(-1)?.url === path);
      expect(service?.seen.at(-1)?.headers[name]).toBeUndefined();
      if (type) expect(service?.seen.at(-1)?.body).toBe(body);
    },
  );
});
