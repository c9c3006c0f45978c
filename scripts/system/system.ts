import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsUser } from '@gittix/common';
import { hasExited, stopChild } from './children.js';
import type { InfraUrls } from './infra.js';
import { generateEmailTokenKey, generateSessionKeys } from './keys.js';
import {
  migrateService,
  type Output,
  type RunMode,
  type ServiceProcess,
  spawnService,
  waitUntilReady,
} from './launch.js';
import { freePort } from './network.js';
import { type DatabaseRole, provisionDatabase } from './provision.js';
import {
  databaseRolesFor,
  databaseUrlOf,
  replicaNames,
  type SystemSettings,
  services,
} from './services.js';

export interface SystemOptions {
  settings: SystemSettings;
  mode: RunMode;
  /** The services to run, by name (default: every process of services.json). */
  only?: string[];
  /** A folder for one `<service>.log` each; without it, output goes to the console, prefixed. */
  logDir?: string;
  /** Node flags per service, e.g. `{ orders: ['--cpu-prof'] }` to profile one. */
  nodeArgs?: Record<string, string[]>;
  /** Environment per service, over the settings', e.g. `{ orders: { CONSUME_EVENTS: 'false' } }`. */
  env?: Record<string, Record<string, string>>;
  /** Called when a service exits that was not told to (a crash, a failed start). */
  onExit?: (message: string) => void;
}

export interface RunningSystem {
  /** The gateway, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** Every gateway replica (settings.replicas), the first being baseUrl. */
  baseUrls: string[];
  /** The names of the running system's processes: each service, then its replicas (`orders-2`). */
  processes: string[];
  settings: SystemSettings;
  /** Where the service logs are (undefined: on the console). */
  logDir: string | undefined;
  /** One service (or replica: `tickets-2`) straight, e.g. `urlOf('tickets')`. */
  urlOf(name: string): string;
  /** A service's database, e.g. `databaseUrl('orders')`. */
  databaseUrl(service: string): string;
  pidOf(name: string): number | undefined;
  /** Resolves once every running service is ready; fails if one exits meanwhile. */
  ready(timeoutMs?: number): Promise<void>;
  /** Kills one service with a signal (SIGKILL, the default, to simulate a crash). */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again with the same settings and waits until it is ready. */
  restart(name: string): Promise<void>;
  /** Stops every service gracefully (SIGTERM) and waits for them to exit. */
  stop(): Promise<void>;
}

/**
 * Spawns the services at once, each a real process with the environment
 * services.json and `settings` give it. npm start, the e2e tests, bench and
 * chaos all run GitTix through this.
 */
export function launchSystem(options: SystemOptions): RunningSystem {
  const { settings, mode, logDir } = options;
  const wanted = services.filter((s) => !options.only || options.only.includes(s.name));
  const processes: ServiceProcess[] = wanted.flatMap((spec) =>
    replicaNames(spec, settings).map((name) => ({ spec, name })),
  );
  if (logDir) mkdirSync(logDir, { recursive: true });
  const output: Output = logDir
    ? { logDir }
    : { prefixWidth: Math.max(...processes.map((p) => p.name.length)) };
  const running = new Map<string, ChildProcess>();
  const logOf = (name: string) => (logDir ? `; see ${join(logDir, `${name}.log`)}` : '');
  const exitMessage = (name: string, child: ChildProcess) =>
    `${name} exited (${child.exitCode ?? child.signalCode})${logOf(name)}`;

  const launch = ({ spec, name }: ServiceProcess) => {
    const child = spawnService(spec, settings, {
      mode,
      output,
      nodeArgs: options.nodeArgs?.[spec.name] ?? [],
      env: options.env?.[spec.name] ?? {},
      processName: name,
    });
    running.set(name, child);
    child.once('exit', () => {
      // kill() and stop() forget a child before signalling it: only the unexpected remain.
      if (running.get(name) === child) options.onExit?.(exitMessage(name, child));
    });
  };
  const exited = () => {
    for (const [name, child] of running) if (hasExited(child)) return exitMessage(name, child);
    return undefined;
  };
  const url = (name: string) => `http://127.0.0.1:${settings.ports[name]}`;

  for (const each of processes) launch(each);
  // The launcher crashing (an unhandled error in a benchmark or test) must not
  // leave the services running: on any exit, whatever is still running gets SIGTERM.
  const stopOnExit = () => {
    for (const child of running.values()) if (!hasExited(child)) child.kill('SIGTERM');
  };
  process.once('exit', stopOnExit);
  const gateways = processes.filter((p) => p.spec.name === 'gateway').map((p) => url(p.name));
  return {
    baseUrl: url('gateway'),
    baseUrls: gateways.length > 0 ? gateways : [url('gateway')],
    processes: processes.map((p) => p.name),
    settings,
    logDir,
    urlOf: url,
    databaseUrl: (service) => databaseUrlOf(settings, service),
    pidOf: (name) => running.get(name)?.pid,
    ready: (timeoutMs = 120_000) =>
      waitUntilReady(
        processes.filter((p) => running.has(p.name)),
        settings,
        timeoutMs,
        exited,
      ),
    async kill(name, signal = 'SIGKILL') {
      const child = running.get(name);
      running.delete(name);
      if (child) await stopChild(child, signal);
    },
    async restart(name) {
      const found = processes.find((p) => p.name === name);
      if (!found) throw new Error(`${name} is not one of this system's services`);
      launch(found);
      await waitUntilReady([found], settings, 60_000, exited);
    },
    async stop() {
      process.removeListener('exit', stopOnExit);
      const children = [...running.values()];
      running.clear();
      await Promise.all(children.map((child) => stopChild(child)));
    },
  };
}

/**
 * The migrate step of every wanted service with a database, before any starts
 * (docs/security.md, "Postgres"): each service's own entry point with
 * `--migrate`, as its database's owner, all at once. A service never migrates at
 * start: it refuses to start on a schema behind its code.
 */
export async function migrateSystem(
  options: Pick<SystemOptions, 'settings' | 'mode' | 'only' | 'logDir'>,
): Promise<void> {
  const { settings, mode, logDir } = options;
  if (logDir) mkdirSync(logDir, { recursive: true });
  const wanted = services.filter(
    (s) => s.database && (!options.only || options.only.includes(s.name)),
  );
  await Promise.all(wanted.map((spec) => migrateService(spec, settings, { mode, logDir })));
}

/**
 * The migrate step (migrateSystem), then launchSystem, then waits until every
 * service is ready (stopping them all if one is not).
 */
export async function startSystem(
  options: SystemOptions & { readyTimeoutMs?: number },
): Promise<RunningSystem> {
  await migrateSystem(options);
  const system = launchSystem(options);
  try {
    await system.ready(options.readyTimeoutMs);
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

/**
 * Settings for a GitTix that shares the machine with others: spare ports, and
 * databases `<name>_<service>`, stream `<NAME>`, subjects and queues `<name>`,
 * a session key of its own; on the servers `infra` points at.
 */
export async function isolatedSettings(options: {
  infra: InfraUrls;
  name: string;
  logLevel?: string;
  orderExpirationSeconds?: number;
  /** A mail catcher of the system's own (the e2e harness starts one); unset: notifications' default. */
  smtpUrl?: string;
  extraEnv?: Record<string, string>;
  /** Provision per database an owner (the migrate step) and a runtime role the service connects as. */
  databaseRoles?: boolean;
  /** The users of `infra`'s NATS (made for this system's stream and subject prefix). */
  natsUsers?: NatsUser[];
  /** Processes per service (SystemSettings.replicas): each replica gets a port of its own. */
  replicas?: number;
}): Promise<SystemSettings> {
  const { infra, name } = options;
  const ports: Record<string, number> = {};
  const replicas = options.replicas ?? 1;
  for (const s of services) {
    for (const processName of replicaNames(s, { replicas })) {
      let port = await freePort();
      while (Object.values(ports).includes(port)) port = await freePort();
      ports[processName] = port;
    }
  }
  const databaseName = (service: string) => `${name}_${service}`;
  let databaseRoles: Record<string, DatabaseRole> | undefined;
  if (options.databaseRoles) {
    databaseRoles = databaseRolesFor(databaseName);
    for (const role of Object.values(databaseRoles)) {
      await provisionDatabase(infra.postgresUrl, role);
    }
  }
  return {
    ports,
    postgresUrl: infra.postgresUrl,
    databaseName,
    ...(databaseRoles ? { databaseRoles } : {}),
    natsUrl: infra.natsUrl,
    ...(options.natsUsers ? { natsUsers: options.natsUsers } : {}),
    stream: name.toUpperCase(),
    subjectPrefix: name,
    redisUrl: infra.redisUrl,
    queuePrefix: name,
    jwt: await generateSessionKeys(),
    emailTokenKey: generateEmailTokenKey(),
    ...(options.orderExpirationSeconds !== undefined
      ? { orderExpirationSeconds: options.orderExpirationSeconds }
      : {}),
    ...(options.smtpUrl !== undefined ? { smtpUrl: options.smtpUrl } : {}),
    logLevel: options.logLevel ?? 'info',
    logPretty: false,
    extraEnv: options.extraEnv ?? {},
    ...(replicas > 1 ? { replicas } : {}),
  };
}
