import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs `src/main.ts` of the service in `serviceDir` as npm start's source mode does,
 * with only PATH and `env` in its environment.
 */
export function startServiceProcess(
  serviceDir: string | URL,
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@gittix/source', '--import', 'tsx', 'src/main.ts'],
    { cwd: fileURLToPath(serviceDir), env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => output, exited };
}
