import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { StartSystemOptions } from './system.js';

/**
 * The one system the `e2e-shared` project's files share (vitest.config.ts): the
 * whole of GitTix with the web app and the defaults, started once by this global
 * setup instead of once per file. Each file makes users, tickets and events of its
 * own and reads only its own recipients' emails, so the files never see each other.
 */
export const SHARED_SYSTEM_OPTIONS: StartSystemOptions = {
  // Nine files wait for it: on a 2-core machine at load average 25-30 its start
  // took 299.5 s, and 240 s of it waiting for readiness was not always enough.
  readyTimeoutMs: 420_000,
  // Per-client-address limits are raised: every file's browser and API client reach
  // the gateway from 127.0.0.1, so on one system their sign-ups, sign-ins and
  // password resets would add up against one address's budget (60 auth requests a
  // minute) and a file's 429 would depend on which files ran before it. No shared
  // file tests those limits; the per-account and per-email ones stay as they are.
  extraEnv: {
    AUTH_REQUESTS_PER_MINUTE: '1000000',
    SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000000',
    PASSWORD_FORGOT_MAX_PER_ADDRESS: '1000000',
  },
};

/** What shared-system-main.ts writes to the status file once the system is ready, or failed. */
export type SharedSystemStatus =
  | { baseUrl: string; inboxUrl: string; smtpUrl: string; logDir: string }
  | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the shared system's status appears; absent outside the `e2e-shared` project. */
    gittixSharedSystem?: { statusFile: string; startTimeoutMs: number };
  }
}

/**
 * Global setup of the `e2e-shared` project: starts the system in a process of its
 * own (shared-system-main.ts runs the harness from source, as a test file would)
 * and returns at once, so the other projects' files run while it starts; its files
 * wait for the status file (useSharedSystem). Stops it after the last file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = process.env.GITTIX_TEST_RUN ?? 'local';
  const dir = join(project.config.root, 'test-output', 'logs', runId);
  await mkdir(dir, { recursive: true });
  const statusFile = join(dir, 'shared-system.json');
  await rm(statusFile, { force: true });
  const main = fileURLToPath(new URL('./shared-system-main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@gittix/source', '--import', 'tsx', main], {
    cwd: project.config.root,
    env: { ...process.env, GITTIX_SHARED_SYSTEM_STATUS: statusFile },
    // stdin stays open: the child stops the system when it closes (this process died).
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit');
  // A process that dies before it reports (killed, out of memory) writes no status:
  // say so, or each file would wait out its startTimeoutMs for nothing.
  child.once('exit', (code, signal) => {
    if (existsSync(statusFile)) return;
    const error = `shared-system-main.ts exited (${code ?? signal}) before reporting a start`;
    writeFileSync(statusFile, JSON.stringify({ error } satisfies SharedSystemStatus));
  });
  project.provide('gittixSharedSystem', {
    statusFile,
    // The web build (when stale), the migrations, then the services' readiness.
    startTimeoutMs: 570_000,
  });
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
}
