import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, testInfra, uniqueName } from '@gittix/common/testing';
import { stopChild } from '../../scripts/system/infra.js';
import { generateSessionKeys } from '../../scripts/system/keys.js';
import { commandFor, type RunMode, waitUntilReady } from '../../scripts/system/launch.js';
import {
  envFor,
  repoRoot,
  type ServiceSpec,
  type SystemSettings,
  services,
} from '../../scripts/system/services.js';

export interface BenchSystemOptions {
  /** `dist`: the compiled JavaScript, as production runs it; `source`: through tsx. */
  mode: RunMode;
  orderExpirationSeconds: number;
  /** LOG_LEVEL of every service; `info` is the production default. */
  logLevel: string;
  logDir: string;
  /** More environment for every service. */
  extraEnv?: Record<string, string>;
  /** Node flags per service, e.g. `{ orders: ['--cpu-prof'] }` to profile one. */
  nodeArgs?: Record<string, string[]>;
}

export interface BenchSystem {
  /** The gateway. */
  baseUrl: string;
  /** One service straight, e.g. `urlOf('tickets')`. */
  urlOf(name: string): string;
  /** Database URL of a service, e.g. `databaseUrl('orders')`. */
  databaseUrl(service: string): string;
  settings: SystemSettings;
  pidOf(name: string): number | undefined;
  stop(): Promise<void>;
}

/**
 * GitTix without the web app, every service a real process (the production
 * `main`), on spare ports and on databases, stream, subjects and queues named
 * `gx_<run>_…` of its own. Unlike the e2e harness, each service writes its logs
 * straight to a file: piped through this process, the services' request logs
 * would cost the load generator CPU and skew what it measures.
 */
export async function startBenchSystem(options: BenchSystemOptions): Promise<BenchSystem> {
  const wanted = services.filter((s) => s.name !== 'web');
  const ports: Record<string, number> = {};
  for (const s of services) ports[s.name] = await freePort();
  const eventsName = uniqueName('sys');
  const dbPrefix = uniqueName('sys');
  const settings: SystemSettings = {
    ports,
    postgresUrl: testInfra.postgresUrl,
    databaseName: (service) => `${dbPrefix}_${service}`,
    natsUrl: testInfra.natsUrl,
    stream: eventsName.toUpperCase(),
    subjectPrefix: eventsName,
    redisUrl: testInfra.redisUrl,
    queuePrefix: eventsName,
    jwt: await generateSessionKeys(),
    orderExpirationSeconds: options.orderExpirationSeconds,
    logLevel: options.logLevel,
    logPretty: false,
    extraEnv: { NODE_ENV: 'production', ...options.extraEnv },
  };
  await mkdir(options.logDir, { recursive: true });

  const running = new Map<string, ChildProcess>();
  const launch = (spec: ServiceSpec) => {
    const [command, ...args] = commandFor(spec, ports[spec.name]!, options.mode);
    args.unshift(...(options.nodeArgs?.[spec.name] ?? []));
    const log = openSync(join(options.logDir, `${spec.name}.log`), 'a');
    const child = spawn(command!, args, {
      cwd: repoRoot,
      env: { ...process.env, ...envFor(spec, settings) },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    running.set(spec.name, child);
  };
  const exitedEarly = () => {
    for (const [name, child] of running) {
      if (child.exitCode !== null) {
        return `${name} exited with ${child.exitCode}; see ${options.logDir}/${name}.log`;
      }
    }
    return undefined;
  };
  const stop = async () => {
    await Promise.all([...running.values()].map((child) => stopChild(child)));
    running.clear();
  };

  for (const spec of wanted) launch(spec);
  try {
    await waitUntilReady(wanted, settings, 120_000, exitedEarly);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl: `http://127.0.0.1:${ports.gateway}`,
    urlOf: (name) => `http://127.0.0.1:${ports[name]}`,
    databaseUrl: (service) => `${settings.postgresUrl}/${settings.databaseName(service)}`,
    settings,
    pidOf: (name) => running.get(name)?.pid,
    stop,
  };
}
