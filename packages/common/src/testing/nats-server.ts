import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { NATS_ADMIN_USER, type NatsUser, natsAuthorizationConfig } from '../events/permissions.js';
import { waitFor } from './wait-for.js';

/** Finds a program on PATH or in the sbin folders Debian installs servers to. */
export function findExecutable(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return name;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface PrivateNatsServerOptions {
  /** Users and their permissions (natsUsersWithRandomPasswords); absent: anyone may do anything. */
  users?: NatsUser[];
  binary?: string;
}

export interface PrivateNatsServer {
  url: string;
  /** The users it was started with (empty: none, no authentication). */
  users: NatsUser[];
  /** Stops the server (SIGTERM), keeping its JetStream data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

/**
 * A nats-server of a test's own, on a spare port, for tests that stop the broker.
 * Never touches the machine's shared server.
 */
export async function startPrivateNatsServer(
  options: PrivateNatsServerOptions = {},
): Promise<PrivateNatsServer> {
  const binary = options.binary ?? findExecutable('nats-server');
  const users = options.users ?? [];
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'gittix-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  const configFile = join(storeDir, 'nats.conf');
  if (users.length > 0) await writeFile(configFile, natsAuthorizationConfig(users));
  const admin = users.find((user) => user.user === NATS_ADMIN_USER);
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(storeDir, 'js')];
    if (users.length > 0) args.push('-c', configFile);
    child = spawn(binary, args, { stdio: 'ignore' });
    await waitFor(
      async () => {
        const nc = await connect({
          servers: url,
          timeout: 500,
          reconnect: false,
          ...(admin ? { user: admin.user, pass: admin.password } : {}),
        });
        await nc.close();
        return true;
      },
      { timeoutMs: 10_000, message: `nats-server on ${url}` },
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await start();
  return {
    url,
    users,
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
