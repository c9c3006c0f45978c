import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './nats-server.js';
import { waitFor } from './wait-for.js';

export interface ServiceProcess {
  child: ChildProcess;
  /** Where it listens: a spare port on 127.0.0.1 unless `env` said otherwise. */
  url: string;
  /** Everything it wrote so far, stdout and stderr together. */
  output: () => string;
  exited: Promise<number | null>;
  /** Waits until `path` answers 200 (a process takes a few seconds to start from source). */
  ready: (path?: string) => Promise<void>;
}

/**
 * Runs `src/main.ts` of the service in `serviceDir` (a test passes `new URL('..',
 * import.meta.url)`) as npm start's source mode does, with only PATH, a spare
 * PORT and `env` in its environment.
 */
export async function startServiceProcess(
  serviceDir: string | URL,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(
    process.execPath,
    ['--conditions=@gittix/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: fileURLToPath(serviceDir),
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', ...env, PORT: port },
      stdio: 'pipe',
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    output: () => output,
    exited,
    ready: async (path = '/readyz') => {
      await waitFor(async () => (await fetch(`${url}${path}`)).ok, {
        timeoutMs: 20_000,
        message: `${url}${path} to answer`,
      });
    },
  };
}

/**
 * Runs the migrate step of the service in `serviceDir` (`src/main.ts --migrate`)
 * with `env` (its DATABASE_URL names the owner) and resolves with how it ended.
 */
export async function runMigrateProcess(
  serviceDir: string | URL,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@gittix/source', '--import', 'tsx', 'src/main.ts', '--migrate'],
    { cwd: fileURLToPath(serviceDir), env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}
