import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { nextBin } from './build.js';
import {
  envFor,
  readinessUrl,
  repoRoot,
  type ServiceSpec,
  type SystemSettings,
} from './services.js';

/**
 * How a service is run: `dist` runs the compiled JavaScript (npm start, images);
 * `source` runs the TypeScript through tsx (tests: always the code as it is now).
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
  if (mode === 'dist') return [process.execPath, `services/${service.name}/dist/main.js`];
  return [
    process.execPath,
    '--conditions=@gittix/source',
    '--import',
    'tsx',
    `services/${service.name}/src/main.ts`,
  ];
}

/** Quotes an argument for a POSIX shell only when it needs it. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** The same command as one shell line (concurrently runs commands through a shell). */
export function commandLine(service: ServiceSpec, port: number, mode: RunMode): string {
  return commandFor(service, port, mode).map(shellQuote).join(' ');
}

export interface LaunchedService {
  spec: ServiceSpec;
  child: ChildProcess;
}

/** Spawns one service with its environment, appending its output to `logFile`. */
export function spawnService(
  service: ServiceSpec,
  settings: SystemSettings,
  mode: RunMode,
  logDir: string,
): LaunchedService {
  const [command, ...args] = commandFor(service, settings.ports[service.name]!, mode);
  const log = createWriteStream(join(logDir, `${service.name}.log`), { flags: 'a' });
  const child = spawn(command!, args, {
    cwd: repoRoot,
    env: { ...process.env, ...envFor(service, settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', () => log.end());
  return { spec: service, child };
}

/** Polls each service's readiness URL until all answer 200, or fails naming the laggards. */
export async function waitUntilReady(
  specs: ServiceSpec[],
  settings: SystemSettings,
  timeoutMs: number,
  exited: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(specs);
  while (pending.size > 0) {
    const died = exited();
    if (died) throw new Error(died);
    await Promise.all(
      [...pending].map(async (spec) => {
        try {
          const response = await fetch(readinessUrl(spec, settings.ports), {
            signal: AbortSignal.timeout(2_000),
          });
          if (response.ok) pending.delete(spec);
        } catch {
          // not listening yet
        }
      }),
    );
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const names = [...pending].map((s) => s.name).join(', ');
      throw new Error(`Not ready after ${timeoutMs / 1000}s: ${names}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
