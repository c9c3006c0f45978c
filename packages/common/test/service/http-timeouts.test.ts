import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseConfigSchema,
  createServiceApp,
  defineService,
  env,
  listenService,
} from '../../src/index.js';
import { slowClient, startTestService, type TestService } from '../../src/testing/index.js';

/** A service with nothing but HTTP: the timeouts come from its configuration. */
const plainService = defineService({
  name: 'plain',
  configSchema: baseConfigSchema.extend({ PORT: env.port(0) }),
  needs: {},
  build: async ({ logger, readiness }) => {
    const app = await createServiceApp({ name: 'plain', logger, readiness });
    app.post('/echo', async (request) => ({ got: request.body }));
    return { app };
  },
});

describe('HTTP timeouts of every service (HTTP_*_TIMEOUT_MS)', () => {
  let service: TestService<typeof plainService>;
  let port: number;

  beforeAll(async () => {
    service = await startTestService(plainService, {
      env: {
        HTTP_HEADERS_TIMEOUT_MS: '600',
        HTTP_REQUEST_TIMEOUT_MS: '1200',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '400',
      },
    });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (service.app.server.address() as AddressInfo).port;
  });
  afterAll(() => service?.close());

  it('when a client trickles its headers forever (slow loris), then it is answered 408 in the error shape and cut off', async () => {
    const result = await slowClient({
      port,
      opening: 'GET /healthz HTTP/1.1\r\nHost: gittix\r\n',
      drip: 'X-Slow: y\r\n',
      dripEveryMs: 100,
      deadlineMs: 5_000,
    });
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.received).toContain('{"errors":[{"message":"Request timed out"}]}');
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(500);
  });

  it('when a client sends its headers but trickles the body, then the request timeout cuts it off', async () => {
    const result = await slowClient({
      port,
      opening:
        'POST /echo HTTP/1.1\r\nHost: gittix\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      drip: ' ',
      dripEveryMs: 100,
      deadlineMs: 5_000,
    });
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(1_000);
  });

  it('when a kept-alive connection goes idle, then the server closes it after the keep-alive timeout', async () => {
    const result = await slowClient({
      port,
      opening: 'GET /healthz HTTP/1.1\r\nHost: gittix\r\n\r\n',
      deadlineMs: 5_000,
    });
    expect(result.received).toMatch(/^HTTP\/1\.1 200 /);
    // Served, then let go long before Node's or Fastify's defaults (5 s, 72 s) would.
    expect(result.closedAfterMs).toBeLessThan(3_000);
  });

  it('when a client sends its request promptly, then it is served as usual', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ got: { a: 1 } });
  });
});

describe('the listen backlog of every service (HTTP_LISTEN_BACKLOG)', () => {
  let service: TestService<typeof plainService>;

  beforeAll(async () => {
    service = await startTestService(plainService);
  });
  afterAll(() => service?.close());

  it('when a service listens, then the kernel holds HTTP_LISTEN_BACKLOG connections for it, not Node’s 511', async () => {
    expect(baseConfigSchema.parse({}).HTTP_LISTEN_BACKLOG).toBe(4096);
    await listenService(service.app, { PORT: 0, HOST: '127.0.0.1', HTTP_LISTEN_BACKLOG: 1234 });
    const { port } = service.app.server.address() as AddressInfo;
    // For a listening socket, ss's Send-Q column is its backlog.
    const [state, , backlog] = execFileSync('ss', ['-ltnH', `sport = :${port}`], {
      encoding: 'utf8',
    })
      .trim()
      .split(/\s+/);
    expect(state).toBe('LISTEN');
    expect(Number(backlog)).toBe(Math.min(1234, somaxconn()));
  });
});

/** The kernel's cap on any listen backlog. */
function somaxconn(): number {
  return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
}
