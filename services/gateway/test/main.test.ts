import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@gittix/common/testing';
import { describe, expect, it } from 'vitest';
import { closedUrl } from './upstreams.js';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('gateway as a process (main.ts)', () => {
  it('when started with its services down, then it is healthy, answers 503 for them, and stops on SIGTERM', async () => {
    const [port, down] = await Promise.all([freePort(), closedUrl()]);
    const child = spawn(
      process.execPath,
      ['--conditions=@gittix/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: serviceDir,
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          HOST: '127.0.0.1',
          AUTH_URL: down,
          TICKETS_URL: down,
          ORDERS_URL: down,
          PAYMENTS_URL: down,
          WEB_URL: down,
        },
        stdio: 'pipe',
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const exited = once(child, 'exit').then(([code]) => code);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${base}/healthz`)).ok, {
        timeoutMs: 20_000,
        message: 'the gateway to listen',
      });

      const tickets = await fetch(`${base}/api/tickets`);
      expect(tickets.status).toBe(503);
      expect(await tickets.json()).toEqual({
        errors: [{ message: 'Tickets service unavailable' }],
      });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('gateway stopped');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('when an upstream URL is not http(s), then it exits 1 naming the key', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@gittix/source', '--import', 'tsx', 'src/main.ts'],
      { cwd: serviceDir, env: { PATH: process.env.PATH, TICKETS_URL: 'tickets:3002' } },
    );
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });

    const [code] = await once(child, 'exit');

    expect(code).toBe(1);
    expect(errors).toContain('TICKETS_URL: Must be an http:// or https:// URL');
  });
});
