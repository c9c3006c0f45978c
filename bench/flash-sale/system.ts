import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, dropDatabase, EventBus } from '@gittix/common';
import { freePort, testInfra } from '@gittix/common/testing';
import { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { connectRedis, EXPIRATION_QUEUE } from '../../services/expiration/src/order-expirations.js';
import type { OrdersDatabase } from '../../services/orders/src/db/schema.js';

const repoRoot = new URL('../../', import.meta.url).pathname;

export interface SystemOptions {
  /** Auth's public key the orders service verifies sessions with (the bench signs them). */
  publicKeyPem: string;
  /** Port of the orders service; fixed when a gateway in front of it must know it. */
  ordersPort?: number;
  logger: Logger;
}

/**
 * The orders and expiration services as child processes, running their real
 * main.ts (the production wiring) from source, on a database, stream and queue
 * prefix of the benchmark's own. The benchmark itself only generates load and
 * observes, so on a 2-core machine each service gets a core's worth of room.
 */
export async function startSystem(options: SystemOptions) {
  const id = `gx_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = `${testInfra.postgresUrl}/${id}_orders`;
  const names = { stream: id.toUpperCase(), subjectPrefix: id, queuePrefix: id };
  const logDir = await mkdtemp(join(tmpdir(), 'gittix-flash-sale-'));
  const ordersPort = options.ordersPort ?? (await freePort());
  const expirationPort = await freePort();

  const bus = await EventBus.connect({
    url: testInfra.natsUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    name: 'flash-sale-bench',
    logger: options.logger,
  });
  await bus.ensureStreams();

  const shared = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NATS_URL: testInfra.natsUrl,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.subjectPrefix,
  };
  const children: ChildProcess[] = [];
  const launch = (service: string, env: Record<string, string>) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@gittix/source', '--import', 'tsx', `services/${service}/src/main.ts`],
      {
        cwd: repoRoot,
        env: { ...process.env, ...shared, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = createWriteStream(join(logDir, `${service}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    children.push(child);
    return child;
  };

  let db: Kysely<OrdersDatabase> | undefined;
  const redis = connectRedis(testInfra.redisUrl);
  const queue = new Queue(EXPIRATION_QUEUE, { connection: redis, prefix: names.queuePrefix });

  /** Stops everything and removes what the run created; keeps the logs only if a service failed. */
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await db?.destroy();
    await dropDatabase(databaseUrl).catch(() => {});
    await queue.close();
    const keys = await redis.keys(`${names.queuePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await bus.jsm.streams.delete(bus.stream).catch(() => {});
    await bus.jsm.streams.delete(bus.deadLetterStream).catch(() => {});
    await bus.close();
    const failed = children.some((child) => child.exitCode !== null && child.exitCode !== 0);
    if (failed) process.stderr.write(`a service failed; its logs are in ${logDir}\n`);
    else await rm(logDir, { recursive: true, force: true });
  };

  try {
    launch('orders', {
      PORT: String(ordersPort),
      DATABASE_URL: databaseUrl,
      JWT_PUBLIC_KEY: options.publicKeyPem,
    });
    launch('expiration', {
      PORT: String(expirationPort),
      REDIS_URL: testInfra.redisUrl,
      QUEUE_PREFIX: names.queuePrefix,
    });
    await waitUntilReady(
      [`http://127.0.0.1:${ordersPort}/readyz`, `http://127.0.0.1:${expirationPort}/readyz`],
      children,
      logDir,
    );
    db = createDb<OrdersDatabase>(databaseUrl, { max: 10 });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    bus,
    db: db as Kysely<OrdersDatabase>,
    queue,
    redis,
    ordersUrl: `http://127.0.0.1:${ordersPort}`,
    logDir,
    stop,
  };
}

export type BenchSystem = Awaited<ReturnType<typeof startSystem>>;

async function waitUntilReady(urls: string[], children: ChildProcess[], logDir: string) {
  const deadline = Date.now() + 60_000;
  for (const url of urls) {
    for (;;) {
      const died = children.find((c) => c.exitCode !== null);
      if (died) throw new Error(`a service exited during start-up; see the logs in ${logDir}`);
      const ok = await fetch(url)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${url} not ready after 60 s; logs in ${logDir}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
