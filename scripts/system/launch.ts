import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { BUNDLE_FILE, nextBin } from './build.js';
import { checkHttp, orTimeout, pollUntil, TIMED_OUT } from './network.js';
import {
  envFor,
  migrationUrlOf,
  readinessUrl,
  repoRoot,
  type ServiceSpec,
  type SystemSettings,
} from './services.js';

/**
 * How a service is run: `dist` runs the compiled JavaScript (npm start, bench,
 * images); `source` runs the TypeScript through tsx (tests: the code as it is now).
 */
export type RunMode = 'dist' | 'source';

export function commandFor(service: ServiceSpec, port: number, mode: RunMode): string[] {
  if (service.name === 'web') {
    return [
      process.execPath,
      nextBin(),
      'start',
      'apps/web',
      '-p',
      String(port),
      '-H',
      '127.0.0.1',
    ];
  }
  if (mode === 'dist') return [process.execPath, `services/${service.name}/${BUNDLE_FILE}`];
  return [
    process.execPath,
    '--conditions=@gittix/source',
    '--import',
    'tsx',
    `services/${service.name}/src/main.ts`,
  ];
}

/** A service's migrate step (its main with `--migrate`); web and the gateway have none. */
export function migrateCommandFor(service: ServiceSpec, mode: RunMode): string[] {
  return [...commandFor(service, 0, mode), '--migrate'];
}

/**
 * How long a migrate step may take: its entry point loads through tsx like the
 * service (minutes at load 25 on two cores), then runs a few statements.
 */
const MIGRATE_TIMEOUT_MS = 240_000;

/**
 * Runs the migrate step of one service with a database, as its owner
 * (migrationUrlOf), granting the runtime role when there is one, and resolves
 * when it exits 0; otherwise, or when it has not finished after `timeoutMs`
 * (then killed), fails with what it printed. Its output goes to
 * `<logDir>/<name>.migrate.log` or the console.
 */
export async function migrateService(
  service: ServiceSpec,
  settings: SystemSettings,
  {
    mode,
    logDir,
    timeoutMs = MIGRATE_TIMEOUT_MS,
  }: { mode: RunMode; logDir?: string | undefined; timeoutMs?: number },
): Promise<void> {
  if (!service.database) return;
  const [command, ...args] = migrateCommandFor(service, mode);
  const runtimeRole = settings.databaseRoles?.[service.database]?.role;
  const env = {
    ...process.env,
    ...settings.extraEnv,
    DATABASE_URL: migrationUrlOf(settings, service.database),
    // The owner grants the runtime role its rows (as provisioning did: idempotent).
    ...(runtimeRole ? { DATABASE_RUNTIME_ROLE: runtimeRole } : {}),
    LOG_LEVEL: settings.logLevel,
    LOG_PRETTY: 'false',
  };
  const child = spawn(command!, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  const code = await orTimeout(closed, timeoutMs);
  if (code === TIMED_OUT) child.kill('SIGKILL');
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    appendFileSync(join(logDir, `${service.name}.migrate.log`), output);
  }
  const lastLines = () => output.trim().split('\n').slice(-5).join('\n');
  if (code === TIMED_OUT)
    throw new Error(
      `${service.name} --migrate did not finish within ${timeoutMs / 1000} s:\n${lastLines()}`,
    );
  if (code !== 0) throw new Error(`${service.name} --migrate exited ${code}:\n${lastLines()}`);
}

/**
 * Where a service's output goes: appended to `<logDir>/<name>.log` by the
 * service itself (nothing passes through the launcher, which may be a load
 * generator that must not spend CPU on logs), or to the console, each line
 * prefixed with the service's name padded to `prefixWidth`.
 */
export type Output = { logDir: string } | { prefixWidth: number };

function prefixLines(from: Readable, prefix: string): void {
  createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
    process.stdout.write(`${prefix} ${line}\n`),
  );
}

/** Spawns one service with its environment; `nodeArgs` go before the script (e.g. --cpu-prof). */
export function spawnService(
  service: ServiceSpec,
  settings: SystemSettings,
  {
    mode,
    output,
    nodeArgs = [],
    processName = service.name,
    env: extraEnv = {},
  }: {
    mode: RunMode;
    output: Output;
    nodeArgs?: string[];
    /** Set last, over what `settings` gives every process (e.g. CONSUME_EVENTS). */
    env?: Record<string, string>;
    /** Which of the service's replicas (`orders-2`); its port and log file go by it. */
    processName?: string;
  },
): ChildProcess {
  const [command, ...args] = commandFor(service, settings.ports[processName]!, mode);
  args.unshift(...nodeArgs);
  const env = { ...process.env, ...envFor(service, settings, processName), ...extraEnv };
  if ('logDir' in output) {
    const log = openSync(join(output.logDir, `${processName}.log`), 'a');
    const child = spawn(command!, args, { cwd: repoRoot, env, stdio: ['ignore', log, log] });
    closeSync(log);
    return child;
  }
  // Colours as on a terminal when the console is one (pino-pretty reads FORCE_COLOR).
  if (process.stdout.isTTY) env.FORCE_COLOR ??= '1';
  const child = spawn(command!, args, {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Ctrl-C reaches the launcher alone, which then stops each service once (a
    // second signal makes a service skip its graceful shutdown).
    detached: true,
  });
  const prefix = `[${processName.padEnd(output.prefixWidth)}]`;
  prefixLines(child.stdout!, prefix);
  prefixLines(child.stderr!, prefix);
  return child;
}

/** One running process of a service: the service, and the replica's name (`orders-2`). */
export interface ServiceProcess {
  spec: ServiceSpec;
  name: string;
}

/** Waits until each process's readiness URL answers 200; `failed()` names a reason to give up early. */
export async function waitUntilReady(
  specs: Array<ServiceSpec | ServiceProcess>,
  settings: SystemSettings,
  timeoutMs: number,
  failed: () => string | undefined = () => undefined,
): Promise<void> {
  const pending = new Set(
    specs.map((entry) => ('spec' in entry ? entry : { spec: entry, name: entry.name })),
  );
  // What each process's last check got, for the error if the wait runs out.
  const lastCheck = new Map<string, string>();
  await pollUntil(
    async () => {
      const reason = failed();
      if (reason) throw new Error(reason);
      await Promise.all(
        [...pending].map(async (entry) => {
          const check = await checkHttp(readinessUrl(entry.spec, settings.ports, entry.name));
          if ('status' in check && check.status === 200) pending.delete(entry);
          lastCheck.set(entry.name, 'status' in check ? `${check.status}` : check.failed);
        }),
      );
      return pending.size === 0;
    },
    () =>
      `readiness of ${[...pending]
        .map(({ name }) => `${name} (last check: ${lastCheck.get(name) ?? 'none finished'})`)
        .join(', ')}`,
    timeoutMs,
  );
}
