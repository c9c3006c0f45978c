import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NATS_ADMIN_USER,
  natsUser,
  natsUsersWithRandomPasswords,
  openEventBus,
} from '@gittix/common';
import { testEventNames, testLogger } from '@gittix/common/testing';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../system/network.js';
import { natsServer, type Server } from '../system/servers.js';

describe('the nats-server the launcher starts (npm start, chaos)', () => {
  const names = testEventNames();
  const users = natsUsersWithRandomPasswords(names);
  let dir: string;
  let server: Server;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gittix-nats-users-'));
    server = natsServer({ host: '127.0.0.1', port: await freePort(), dir, users });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('when started with users, then a client without a password is refused and each service connects as its own user', async () => {
    await expect(
      connect({ servers: server.url, reconnect: false, timeout: 2_000 }),
    ).rejects.toThrow(/authorization/i);
    const { user, password } = natsUser(users, 'orders');
    const bus = await openEventBus(
      {
        NATS_URL: server.url,
        NATS_STREAM: names.stream,
        NATS_SUBJECT_PREFIX: names.subjectPrefix,
        NATS_USER: user,
        NATS_PASSWORD: password,
      },
      'orders',
      testLogger,
    );
    await bus.close();
    const admin = natsUser(users, NATS_ADMIN_USER);
    const nc = await connect({ servers: server.url, user: admin.user, pass: admin.password });
    await nc.close();
  });
});
