import {
  createTestEnvironment,
  runMigrateProcess,
  startServiceProcess,
  type TestEnvironment,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authService } from '../src/service.js';

const serviceDir = new URL('..', import.meta.url);

describe('auth as a process (main.ts)', () => {
  let environment: TestEnvironment;
  let databaseUrl: string;

  beforeAll(async () => {
    // The migrate step (main.ts --migrate) creates the database; the environment only
    // names it (and drops it).
    environment = await createTestEnvironment();
    databaseUrl = environment.databaseUrl('authmain');
  });

  afterAll(() => environment?.close());

  it('when migrated by its --migrate step and started without a key in development, then it warns, serves, and stops cleanly on SIGTERM', async () => {
    const migrated = await runMigrateProcess(serviceDir, { DATABASE_URL: databaseUrl });
    expect(migrated.output).toMatch(/auth: ran \d+ migration/);
    expect(migrated.code).toBe(0);
    // The run's own stream and subject prefix: without them the process would publish
    // into the default `gittix` stream, the one `npm start` runs on.
    const { JWT_PUBLIC_KEY: _verifierKey, ...runConfig } = environment.configFor(authService);
    const auth = await startServiceProcess(serviceDir, {
      ...runConfig,
      DATABASE_URL: databaseUrl,
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '2',
      ARGON2_PARALLELISM: '1',
    });
    try {
      await auth.ready();
      const signup = await fetch(`${auth.url}/api/users/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'Main@Example.com', password: 'long enough' }),
      });
      expect(signup.status).toBe(201);
      const created = await signup.json();
      expect(created).toMatchObject({ email: 'main@example.com' });
      await waitFor(
        async () =>
          (await environment.publishedEvents('user.created')).some((e) => e.data.id === created.id),
        { timeoutMs: 10_000, message: "user.created on this run's own stream" },
      );
      // Logs are written in chunks (LOG_BUFFER_BYTES), flushed within a second.
      await waitFor(() => auth.output().includes('JWT_PRIVATE_KEY is not set'), {
        timeoutMs: 10_000,
        message: 'the missing-key warning in the log',
      });

      auth.child.kill('SIGTERM');
      expect(await auth.exited).toBe(0);
      expect(auth.output()).toContain('auth stopped');
    } finally {
      auth.child.kill('SIGKILL');
    }
    // Two processes from source (the migrate step, then the service) on a busy machine.
  }, 90_000);

  it('when started in production without a key, then it exits 1 naming the key', async () => {
    const auth = await startServiceProcess(serviceDir, {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
    });

    expect(await auth.exited).toBe(1);
    expect(auth.output()).toContain('JWT_PRIVATE_KEY: Required in production');
  });
});
