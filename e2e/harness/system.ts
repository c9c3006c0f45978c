import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import { ensureWebBuild } from '../../scripts/system/build.js';
import { stopChild } from '../../scripts/system/infra.js';
import { generateSessionKeys } from '../../scripts/system/keys.js';
import { type LaunchedService, spawnService, waitUntilReady } from '../../scripts/system/launch.js';
import { type ServiceSpec, type SystemSettings, services } from '../../scripts/system/services.js';

export interface RunningSystem {
  /** The gateway, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  settings: SystemSettings;
  logDir: string;
  /** Kills one service with a signal (SIGKILL to simulate a crash). */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again with the same settings. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartSystemOptions {
  orderExpirationSeconds?: number;
  /** Leave out the web app (API-only tests start faster). */
  web?: boolean;
  extraEnv?: Record<string, string>;
  /** Servers to run on instead of testInfra's (e.g. private ones a chaos run may stop). */
  infra?: { postgresUrl: string; natsUrl: string; redisUrl: string };
}

/**
 * Runs the whole of GitTix as real processes from the TypeScript sources, on
 * spare ports and with databases, stream, subjects and queues of its own, so
 * end-to-end tests neither see nor disturb anything else.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<RunningSystem> {
  const wanted = services.filter((s) => options.web !== false || s.name !== 'web');
  if (wanted.some((s) => s.name === 'web')) ensureWebBuild(() => {});

  const ports = Object.fromEntries(
    await Promise.all(wanted.map(async (s) => [s.name, await freePort()] as const)),
  );
  if (!ports.web) ports.web = await freePort();
  const infra = options.infra ?? testInfra;
  const eventsName = uniqueName('sys');
  const dbPrefix = uniqueName('sys');
  const settings: SystemSettings = {
    ports,
    postgresUrl: infra.postgresUrl,
    databaseName: (service) => `${dbPrefix}_${service}`,
    natsUrl: infra.natsUrl,
    stream: eventsName.toUpperCase(),
    subjectPrefix: eventsName,
    redisUrl: infra.redisUrl,
    queuePrefix: eventsName,
    jwt: await generateSessionKeys(),
    ...(options.orderExpirationSeconds !== undefined
      ? { orderExpirationSeconds: options.orderExpirationSeconds }
      : {}),
    logLevel: process.env.TEST_SYSTEM_LOG_LEVEL ?? 'info',
    logPretty: false,
    extraEnv: options.extraEnv ?? {},
  };
  const logDir = join('test-output', 'logs', testRunId(), eventsName);
  await mkdir(logDir, { recursive: true });

  const running = new Map<string, LaunchedService>();
  const launch = (spec: ServiceSpec) =>
    running.set(spec.name, spawnService(spec, settings, 'source', logDir));
  const exitedEarly = () => {
    for (const [name, { child }] of running) {
      if (child.exitCode !== null)
        return `${name} exited with ${child.exitCode}; see ${logDir}/${name}.log`;
    }
    return undefined;
  };
  const stopAll = async () => {
    await Promise.all([...running.values()].map(({ child }) => stopChild(child)));
    running.clear();
  };

  for (const spec of wanted) launch(spec);
  try {
    await waitUntilReady(wanted, settings, 90_000, exitedEarly);
  } catch (error) {
    await stopAll();
    throw error;
  }

  return {
    baseUrl: `http://127.0.0.1:${ports.gateway}`,
    settings,
    logDir,
    async kill(name, signal = 'SIGKILL') {
      const service = running.get(name);
      if (service) await stopChild(service.child, signal);
      running.delete(name);
    },
    async restart(name) {
      const spec = wanted.find((s) => s.name === name)!;
      launch(spec);
      await waitUntilReady([spec], settings, 60_000, exitedEarly);
    },
    stop: stopAll,
  };
}
