/**
 * expiration through Redis Sentinel (REDIS_SENTINELS), as the prod overlay runs it:
 * a private Redis master, a replica and a Sentinel on spare ports (redis-server
 * --sentinel, from the same package as redis-server), never the machine's shared Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, connectRedis, loadConfig, type Redis, redisOptions } from '@gittix/common';
import {
  createTestEnvironment,
  findExecutable,
  freePort,
  orderCreatedData,
  startTestService,
  type TestEnvironment,
  waitFor,
} from '@gittix/common/testing';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expirationConfigSchema } from '../src/config.js';
import { expirationService } from '../src/service.js';
import { expirationsOf } from './fixtures.js';

const password = `pw-${randomUUID()}`;
const masterName = 'gittix-test';

describe('expiration config for Sentinel', () => {
  it('when REDIS_SENTINELS is set, then ioredis asks those Sentinels for the named master with the URL’s password', () => {
    const config = loadConfig(expirationConfigSchema, {
      REDIS_URL: 'redis://:s3cret@redis:6379/2',
      REDIS_SENTINELS: 'redis-0.redis:26379, redis-1.redis:26379,[::1]:26380',
      REDIS_SENTINEL_NAME: 'gittix',
    });
    expect(redisOptions(config)).toEqual({
      maxRetriesPerRequest: null,
      db: 2,
      password: 's3cret',
      sentinels: [
        { host: 'redis-0.redis', port: 26379 },
        { host: 'redis-1.redis', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'gittix',
      sentinelPassword: 's3cret',
    });
  });

  it('when REDIS_SENTINELS is unset, then ioredis connects to REDIS_URL’s host', () => {
    const config = loadConfig(expirationConfigSchema, { REDIS_URL: 'redis://:pw@redis:6380' });
    expect(config.REDIS_SENTINELS).toBeUndefined();
    expect(config.REDIS_SENTINEL_NAME).toBe('gittix');
    expect(redisOptions(config)).toEqual({
      maxRetriesPerRequest: null,
      db: 0,
      password: 'pw',
      host: 'redis',
      port: 6380,
    });
  });

  it.each([
    ['redis-0.redis', /REDIS_SENTINELS: Not host:port: redis-0\.redis/],
    ['redis-0.redis:99999', /REDIS_SENTINELS: Not host:port/],
    [' , ', /REDIS_SENTINELS: Lists no Sentinel/],
  ])('when REDIS_SENTINELS is %j, then loading fails naming it', (value, message) => {
    const load = () => loadConfig(expirationConfigSchema, { REDIS_SENTINELS: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});

/** A redis-server (or Sentinel) of this test's own; stopped in afterAll. */
interface Server {
  port: number;
  process: ChildProcess;
}

async function startRedis(args: string[], port: number): Promise<Server> {
  const child = spawn(findExecutable('redis-server'), args, { stdio: 'ignore' });
  const server = { port, process: child };
  await waitFor(
    async () => {
      const probe = new IORedis({
        port,
        host: '127.0.0.1',
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // Refused until the server listens: connect() rejects, the event is the same news.
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    { timeoutMs: 20_000, message: `redis-server on ${port}` },
  );
  return server;
}

/** ROLE of the server on `port`: 'master' or 'slave'. */
async function roleOf(port: number): Promise<string> {
  const client = new IORedis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 1 });
  try {
    const [role] = (await client.call('ROLE')) as [string];
    return role;
  } finally {
    client.disconnect();
  }
}

describe('expiration through Redis Sentinel (a private master, replica and Sentinel)', () => {
  let dir: string;
  const servers: Server[] = [];
  let master: Server;
  let replica: Server;
  let sentinel: Server;
  let environment: TestEnvironment;
  let redis: Redis | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gittix-sentinel-'));
    const [masterPort, replicaPort, sentinelPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const common = (port: number) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      password,
      '--masterauth',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      `dump-${port}.rdb`,
      '--maxmemory-policy',
      'noeviction',
    ];
    master = await startRedis(common(masterPort), masterPort);
    servers.push(master);
    replica = await startRedis(
      [...common(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)],
      replicaPort,
    );
    servers.push(replica);
    const sentinelConf = join(dir, 'sentinel.conf');
    await writeFile(
      sentinelConf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${password}`,
        // Quorum 1: the one Sentinel decides (prod: three, quorum 2).
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
        `sentinel auth-pass ${masterName} ${password}`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 10000`,
        '',
      ].join('\n'),
    );
    sentinel = await startRedis([sentinelConf, '--sentinel'], sentinelPort);
    servers.push(sentinel);
    // The Sentinel learns the replica from the master's INFO before it can fail over to it.
    const sentinelClient = new IORedis({ port: sentinelPort, host: '127.0.0.1', password });
    try {
      await waitFor(
        async () => {
          const replicas = (await sentinelClient.call('SENTINEL', 'REPLICAS', masterName)) as
            | unknown[]
            | null;
          return (replicas?.length ?? 0) > 0;
        },
        { timeoutMs: 30_000, message: 'the Sentinel to know the replica' },
      );
    } finally {
      sentinelClient.disconnect();
    }
    environment = await createTestEnvironment();
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    await environment?.close();
    for (const server of servers.reverse()) {
      server.process.kill('SIGTERM');
      await waitFor(() => server.process.exitCode !== null || server.process.signalCode !== null, {
        timeoutMs: 10_000,
        message: `redis-server on ${server.port} to stop`,
      }).catch(() => server.process.kill('SIGKILL'));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const sentinelEnv = () => ({
    // The host is never used with Sentinels: only the password.
    REDIS_URL: `redis://:${password}@no-such-host.invalid:6379`,
    REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
    REDIS_SENTINEL_NAME: masterName,
  });

  const expiresOnTime = async (label: string) => {
    const orderId = randomUUID();
    const expiresAt = new Date(Date.now() + 300).toISOString();
    await environment.publish('order.created', orderCreatedData({ id: orderId, expiresAt }));
    const bus = await environment.bus();
    await waitFor(async () => (await expirationsOf(bus, orderId)).length === 1, {
      timeoutMs: 30_000,
      message: `expiration.complete for the order ${label}`,
    });
  };

  it('when REDIS_SENTINELS names the Sentinel, then the service schedules and fires expiries on the master it names; after a failover, on the new master', async () => {
    const service = await startTestService(expirationService, { environment, env: sentinelEnv() });
    try {
      await service.start();
      // The service's own connection reached the master through the Sentinel.
      redis = connectRedis(loadConfig(expirationConfigSchema, sentinelEnv()));
      redis.on('error', () => {});
      expect(await redis.ping()).toBe('PONG');
      expect(((await redis.call('ROLE')) as string[])[0]).toBe('master');
      await expiresOnTime('before the failover');
      const jobKeys = await redis.keys(`${service.config.QUEUE_PREFIX}:*`);
      expect(jobKeys.length).toBeGreaterThan(0);

      // The Sentinel promotes the replica; the old master becomes its replica.
      const admin = new IORedis({ port: sentinel.port, host: '127.0.0.1', password });
      try {
        await admin.call('SENTINEL', 'FAILOVER', masterName);
      } finally {
        admin.disconnect();
      }
      await waitFor(
        async () =>
          (await roleOf(replica.port)) === 'master' && (await roleOf(master.port)) === 'slave',
        { timeoutMs: 30_000, message: 'the failover to finish' },
      );

      // BullMQ's connections follow: a new order is scheduled and fires on the new master.
      await expiresOnTime('after the failover');
      const onNewMaster = new IORedis({ port: replica.port, host: '127.0.0.1', password });
      try {
        expect((await onNewMaster.keys(`${service.config.QUEUE_PREFIX}:*`)).length).toBeGreaterThan(
          0,
        );
      } finally {
        onNewMaster.disconnect();
      }
    } finally {
      await service.stop();
    }
  }, 120_000);
});
