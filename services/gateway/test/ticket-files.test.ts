import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { TICKET_FILE_MAX_BYTES } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type FakeService, startFakeService } from './upstreams.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A tickets service stand-in that streams: it notes each upload's bytes as they
 * arrive (not once the body is whole) and serves downloads from `files`.
 */
async function startStreamingTickets() {
  const arrivals = new Map<string, number>();
  const uploads = new Map<string, Buffer>();
  const files = new Map<string, Buffer>();
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const url = req.url ?? '';
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) {
        chunks.push(chunk as Buffer);
        arrivals.set(url, (arrivals.get(url) ?? 0) + (chunk as Buffer).length);
      }
      uploads.set(url, Buffer.concat(chunks));
      res.writeHead(204).end();
      return;
    }
    const file = files.get(url);
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': 'application/pdf',
      'content-length': file.length,
      'content-disposition': 'attachment; filename="ticket.pdf"',
    });
    // In pieces, as the real service sends its chunks.
    for (let at = 0; at < file.length; at += 256 * 1024) {
      if (!res.write(file.subarray(at, at + 256 * 1024))) await once(res, 'drain');
    }
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    uploads,
    files,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let tickets: Awaited<ReturnType<typeof startStreamingTickets>>;
let others: FakeService[];
let gateway: FastifyInstance;
let port: number;

beforeAll(async () => {
  tickets = await startStreamingTickets();
  others = await Promise.all(
    ['users', 'orders', 'payments', 'web'].map((n) => startFakeService(n)),
  );
  const [users, orders, payments, web] = others.map((s) => s.url) as [
    string,
    string,
    string,
    string,
  ];
  gateway = await buildGateway({ users, tickets: tickets.url, orders, payments, web });
  port = Number(new URL(await gateway.listen({ port: 0, host: '127.0.0.1' })).port);
});

afterAll(async () => {
  await gateway?.close();
  await tickets?.close();
  await Promise.all((others ?? []).map((service) => service.close()));
});

function pdf(size: number): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);
}

function head(method: string, path: string, headers: Record<string, string | number>): Buffer {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return Buffer.from(`${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** A client on a raw socket: everything it reads, and whether the server reset it. */
function rawClient() {
  const socket: Socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  const state = { ended: false, reset: false, closed: false };
  socket.on('data', (chunk) => received.push(chunk));
  socket.on('end', () => {
    state.ended = true;
  });
  socket.on('error', () => {
    state.reset = true;
  });
  socket.on('close', () => {
    state.closed = true;
  });
  return {
    socket,
    state,
    text: () => Buffer.concat(received).toString('latin1'),
    /** Writes everything (whatever the server answers meanwhile), waiting for the socket to take it. */
    async sendAll(bytes: Buffer, piece = 64 * 1024) {
      for (let at = 0; at < bytes.length && !state.closed; at += piece) {
        if (!socket.write(bytes.subarray(at, at + piece))) {
          // (`once` rejects on the socket's error: a reset is recorded in state instead.)
          await Promise.race([once(socket, 'drain'), once(socket, 'close')]).catch(() => {});
        }
      }
    },
  };
}

describe('ticket files through the gateway', () => {
  it('when a seller uploads a 2 MB file, then the gateway streams it through: the service has bytes before the client has sent them all', async () => {
    const path = `/api/tickets/${randomUUID()}/file`;
    const file = pdf(TICKET_FILE_MAX_BYTES);
    const client = rawClient();
    client.socket.write(
      head('PUT', path, { 'content-type': 'application/pdf', 'content-length': file.length }),
    );
    const half = file.length / 2;
    await client.sendAll(file.subarray(0, half));
    // With half of the body sent, some of it is already upstream: no whole-body buffering.
    await waitFor(() => (tickets.arrivals.get(path) ?? 0) > 0, {
      message: 'the upload to reach the service before it is complete',
    });
    expect(tickets.arrivals.get(path)).toBeLessThanOrEqual(half);
    await client.sendAll(file.subarray(half));
    await waitFor(() => client.text().startsWith('HTTP/1.1 204'), { message: '204' });
    expect(sha256(tickets.uploads.get(path) ?? Buffer.alloc(0))).toBe(sha256(file));
    client.socket.destroy();
  });

  it('when a file is downloaded, then the same bytes come through with the service’s headers', async () => {
    const path = `/api/tickets/${randomUUID()}/file`;
    const file = pdf(1900 * 1024);
    tickets.files.set(path, file);
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="ticket.pdf"');
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(file));
  });

  it('when a client sends a whole body over 2 MB before reading, then it still reads the 413 (lingering close) and nothing reaches the service', async () => {
    const path = `/api/tickets/${randomUUID()}/file`;
    const file = pdf(TICKET_FILE_MAX_BYTES + 1024 * 1024);
    const client = rawClient();
    client.socket.write(
      head('PUT', path, { 'content-type': 'application/pdf', 'content-length': file.length }),
    );
    // Sends every byte first, reading nothing meanwhile, as a naive client does.
    await client.sendAll(file);
    await waitFor(() => client.state.closed, { message: 'the gateway to close the connection' });
    expect(client.state.reset).toBe(false);
    const answer = client.text();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/connection: close/i);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(
      JSON.stringify({ errors: [{ message: 'Request body is too large' }] }),
    );
    expect(tickets.arrivals.has(path)).toBe(false);
  });

  it('when a client declares more than 2 MB, then the 413 comes before it sends a byte of the body', async () => {
    const client = rawClient();
    client.socket.write(
      head('PUT', `/api/tickets/${randomUUID()}/file`, {
        'content-type': 'image/png',
        'content-length': TICKET_FILE_MAX_BYTES + 1,
      }),
    );
    await waitFor(() => client.text().includes('Request body is too large'), { message: '413' });
    expect(client.text()).toMatch(/^HTTP\/1\.1 413 /);
    client.socket.destroy();
  });

  it('when a client keeps sending far past the limit, then the drain is bounded and the connection is cut', async () => {
    const client = rawClient();
    const declared = 64 * 1024 * 1024;
    client.socket.write(
      head('PUT', `/api/tickets/${randomUUID()}/file`, {
        'content-type': 'application/pdf',
        'content-length': declared,
      }),
    );
    const junk = Buffer.alloc(1024 * 1024);
    let sent = 0;
    while (!client.state.closed && sent < declared) {
      await client.sendAll(junk);
      sent += junk.length;
    }
    expect(client.state.closed).toBe(true);
    // Cut once the lingering allowance (8 MB by default) is used up, well before 64 MB.
    expect(sent).toBeLessThan(32 * 1024 * 1024);
    expect(client.text()).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('when a JSON route gets a body over its limit, then it stays 413 (only the file route takes 2 MB)', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x'.repeat(1024 * 1024), price: 1 }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body is too large' }] });
  });
});
