import { type ChildProcess, fork } from 'node:child_process';

/**
 * Runs a bench script (TypeScript, through tsx) as a process of its own and
 * resolves once it sends its first message ("ready"): the reference servers and
 * the propagation observer, kept apart from the load generator's event loop.
 */
export async function forkReady(script: URL, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(script.pathname, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script.pathname} exited with ${code}`)));
  });
  return child;
}
