import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { offerLoad } from '../overload/open-loop.js';

const servers: Server[] = [];

async function serve(
  handle: (request: IncomingMessage, response: ServerResponse, body: string) => void,
): Promise<{ url: string; connections: () => number; peak: () => number }> {
  let open = 0;
  let peak = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => handle(request, response, body));
  });
  server.on('connection', (socket) => {
    open++;
    peak = Math.max(peak, open);
    socket.on('close', () => open--);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => open, peak: () => peak };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

const order = (n: number) => ({
  method: 'POST' as const,
  path: `/api/orders?n=${n}`,
  body: JSON.stringify({ ticketId: `t${n}` }),
  headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
});

describe('the overload phase’s open-loop generator', () => {
  it('when a server wins, loses and refuses, then every request is sent once with its body and each answer is counted by status, 503 + Retry-After as a refusal', async () => {
    const seen: string[] = [];
    const { url } = await serve((request, response, body) => {
      const n = Number(new URL(request.url!, 'http://x').searchParams.get('n'));
      seen.push(`${request.method} ${n} ${body} ${request.headers.authorization}`);
      if (n % 3 === 0) response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      else if (n % 3 === 1) response.writeHead(400).end('{"errors":[]}');
      else if (n % 6 === 2) response.writeHead(503, { 'retry-after': '2' }).end('{}');
      else response.writeHead(503).end('{}'); // no Retry-After: a failure, not a refusal
    });

    const result = await offerLoad({ url, perSecond: 300, seconds: 0.4, request: order });

    expect(result.sent).toBe(120);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(seen).toContain('POST 7 {"ticketId":"t7"} Bearer x');
    expect(result.statuses).toEqual({ '201': 40, '400': 40, '503': 40 });
    expect(result.refusedWithRetryAfter).toBe(20);
    expect(result.admittedLatencies).toHaveLength(80);
    expect(result.refusedLatencies).toHaveLength(40);
    expect(result.goodAnswersAt).toHaveLength(80);
    // Sent on schedule, not all at once: 120 at 300/s take ~0.4 s.
    expect(result.seconds).toBeGreaterThan(0.35);
  });

  it('when the answers come in chunks or the server closes each connection, then every answer is still read and counted', async () => {
    const chunked = await serve((_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.write('{"id":');
      setImmediate(() => response.end('"x"}'));
    });
    const closing = await serve((_request, response) => {
      // Slow enough that, on one connection, requests queue behind each answer.
      setTimeout(() => response.writeHead(201, { connection: 'close' }).end('{}'), 10);
    });

    const [a, b, c] = await Promise.all([
      offerLoad({ url: chunked.url, perSecond: 200, seconds: 0.3, request: order }),
      offerLoad({ url: closing.url, perSecond: 200, seconds: 0.3, request: order }),
      // One connection: each waiting request must go on a new one, not the closed one.
      offerLoad({ url: closing.url, perSecond: 200, seconds: 0.3, request: order, maxSockets: 1 }),
    ]);

    expect(a.statuses).toEqual({ '201': 60 });
    expect(b.statuses).toEqual({ '201': 60 });
    expect(c.statuses).toEqual({ '201': 60 });
  });

  it('when every connection is busy at maxSockets, then requests wait for a free one rather than opening more, and their latency counts the wait', async () => {
    const server = await serve((_request, response) => {
      setTimeout(() => response.writeHead(201).end('{}'), 50);
    });

    const result = await offerLoad({
      url: server.url,
      perSecond: 200,
      seconds: 0.2,
      request: order,
      maxSockets: 2,
    });

    expect(result.statuses).toEqual({ '201': 40 });
    expect(server.peak()).toBe(2);
    // 40 requests, 2 at a time, 50 ms each: the last waited about a second.
    expect(Math.max(...result.admittedLatencies)).toBeGreaterThan(700);
  });

  it('when the server never answers or drops the connection, then those requests are counted as timeout and error, and the run still ends', async () => {
    const silent = await serve(() => {});
    const dropping = await serve((request) => request.socket.destroy());

    const [quiet, dropped] = await Promise.all([
      offerLoad({ url: silent.url, perSecond: 100, seconds: 0.1, request: order, timeoutMs: 300 }),
      offerLoad({ url: dropping.url, perSecond: 100, seconds: 0.1, request: order }),
    ]);

    expect(quiet.statuses).toEqual({ timeout: 10 });
    expect(dropped.statuses).toEqual({ error: 10 });
    expect(quiet.admittedLatencies).toEqual([]);
  });
});
