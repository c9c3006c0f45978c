import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startAuth(env: Record<string, string>): Started {
  const child = spawn(
    process.execPath,
    ['--conditions=@gittix/source', '--import', 'tsx', 'src/main.ts'],
    { cwd: serviceDir, env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => output, exited };
}

describe('auth as a process (main.ts)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    // main.ts creates the database itself; the test only reserves a unique name.
    database = await createTestDatabase('authmain');
    await database.drop();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('when started without a key in development, then it warns, serves, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const auth = startAuth({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '2',
      ARGON2_PARALLELISM: '1',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${base}/readyz`)).ok, {
        timeoutMs: 20_000,
        message: 'auth to be ready',
      });
      const signup = await fetch(`${base}/api/users/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'Main@Example.com', password: 'long enough' }),
      });
      expect(signup.status).toBe(201);
      expect(await signup.json()).toMatchObject({ email: 'main@example.com' });
      expect(auth.output()).toContain('JWT_PRIVATE_KEY is not set');

      auth.child.kill('SIGTERM');
      expect(await auth.exited).toBe(0);
      expect(auth.output()).toContain('auth stopped');
    } finally {
      auth.child.kill('SIGKILL');
    }
  });

  it('when started in production without a key, then it exits 1 naming the key', async () => {
    const auth = startAuth({ NODE_ENV: 'production', DATABASE_URL: database.url });

    expect(await auth.exited).toBe(1);
    expect(auth.output()).toContain('JWT_PRIVATE_KEY: Required in production');
  });
});
