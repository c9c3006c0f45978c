import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHttp, freePort, orTimeout, pollUntil, TIMED_OUT } from '../system/network.js';

describe('pollUntil: every wait of a start ends by its deadline', () => {
  it('when a check never answers, then the wait fails at its deadline and says the check hung', async () => {
    const started = performance.now();
    await expect(
      pollUntil(() => new Promise<boolean>(() => {}), 'a hung check', 300),
    ).rejects.toThrow(
      'Timed out after 0.3s waiting for a hung check (its last check never answered)',
    );
    // Well before anything but the deadline could have ended it.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('when checks answer no until the deadline, then the wait fails naming what it awaited', async () => {
    let checks = 0;
    await expect(
      pollUntil(
        async () => {
          checks += 1;
          return false;
        },
        () => `the thing after ${checks} checks`,
        300,
      ),
    ).rejects.toThrow(/^Timed out after 0\.3s waiting for the thing after \d+ checks$/);
    expect(checks).toBeGreaterThan(1);
  });

  it('when a check says yes, then the wait ends; when one throws, then with its error', async () => {
    let checks = 0;
    await pollUntil(async () => ++checks === 3, 'the third check', 5_000);
    expect(checks).toBe(3);
    await expect(
      pollUntil(
        async () => {
          throw new Error('the server process died');
        },
        'never',
        5_000,
      ),
    ).rejects.toThrow('the server process died');
  });
});

describe('orTimeout', () => {
  it('when the promise settles first, then its value; when the deadline comes first, then TIMED_OUT', async () => {
    expect(await orTimeout(Promise.resolve(7), 1_000)).toBe(7);
    expect(await orTimeout(new Promise(() => {}), 10)).toBe(TIMED_OUT);
    await expect(orTimeout(Promise.reject(new Error('no')), 1_000)).rejects.toThrow('no');
  });
});

describe('checkHttp: a readiness check ends by its own timer, whatever stage the answer is at', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise((resolve) => {
            server.closeAllConnections();
            server.close(resolve);
          }),
      ),
    );
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
  }

  it('when the server answers, then its status once the body is read', async () => {
    const url = await serve((_request, response) => response.writeHead(503).end('not yet'));
    expect(await checkHttp(url)).toEqual({ status: 503 });
  });

  it('when nothing listens, then the refusal at once', async () => {
    expect(await checkHttp(`http://127.0.0.1:${await freePort()}/readyz`)).toEqual({
      failed: 'ECONNREFUSED',
    });
  });

  it('when the server accepts but never answers, or stops mid-body, then a failure at the timeout', async () => {
    const silent = await serve(() => {});
    const halfBody = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
    });
    const started = performance.now();
    const checks = await Promise.all([checkHttp(silent, 300), checkHttp(halfBody, 300)]);
    expect(checks).toEqual([
      { failed: 'no answer within 300 ms' },
      { failed: 'no answer within 300 ms' },
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
