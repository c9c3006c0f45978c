import { join } from 'node:path';
import { natsUsersWithRandomPasswords } from '@gittix/common';
import { testRunId, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateInfra, startPrivateInfra } from '../system/infra.js';
import type { RunningSystem } from '../system/system.js';
import { isolatedSettings, startSystem } from '../system/system.js';

/** What chaos runs: private servers, a NATS user and a Postgres role per service. */
describe('a system on private servers with NATS users and Postgres roles', () => {
  const name = uniqueName('sec');
  let infra: PrivateInfra;
  let system: RunningSystem;

  beforeAll(async () => {
    const natsUsers = natsUsersWithRandomPasswords({
      stream: name.toUpperCase(),
      subjectPrefix: name,
    });
    infra = await startPrivateInfra({ natsUsers });
    system = await startSystem({
      mode: 'source',
      only: ['tickets', 'orders'],
      logDir: join('test-output', 'logs', testRunId(), name),
      readyTimeoutMs: 90_000,
      settings: await isolatedSettings({
        infra: infra.urls,
        name,
        natsUsers,
        databaseRoles: true,
      }),
    });
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
    await infra?.destroy();
  });

  it('when the services start as their users and roles, then they are ready, and a wrong password is refused', async () => {
    const url = new URL(system.databaseUrl('orders'));
    expect(url.username).toBe(`${name}_orders`);
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.end();
    url.password = 'wrong';
    await expect(new pg.Client({ connectionString: url.toString() }).connect()).rejects.toThrow(
      /password/,
    );
  });
});
