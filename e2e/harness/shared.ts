import { readFile } from 'node:fs/promises';
import { waitFor } from '@gittix/common/testing';
import { inject } from 'vitest';
import { SHARED_SYSTEM_OPTIONS, type SharedSystemStatus } from './shared-system.js';
import { type SystemMail, startSystem, systemMail } from './system.js';

/** What a file needs of a running GitTix: its gateway, its mail catcher, and stop(). */
export interface E2eSystem {
  baseUrl: string;
  logDir: string;
  mail: SystemMail;
  /** Stops the file's own system; a no-op on the shared one (its global setup stops it). */
  stop(): Promise<void>;
}

const noOutage = async () => {
  throw new Error(
    'the shared system’s mail catcher cannot be stopped: start a system of your own (startSystem)',
  );
};

/**
 * The system the `e2e-shared` project starts once for all its files (see
 * e2e/harness/shared-system.ts), once it is ready. Outside that project (a config
 * without it) the file starts one of its own with the same options.
 */
export async function useSharedSystem(): Promise<E2eSystem> {
  const shared = inject('gittixSharedSystem');
  if (shared === undefined) return startSystem(SHARED_SYSTEM_OPTIONS);
  const status = await waitFor(
    async () =>
      JSON.parse(
        await readFile(shared.statusFile, 'utf8').catch(() => 'null'),
      ) as SharedSystemStatus | null,
    {
      timeoutMs: shared.startTimeoutMs,
      intervalMs: 250,
      message: `the shared e2e system (its status in ${shared.statusFile})`,
    },
  );
  if ('error' in status) throw new Error(`the shared e2e system did not start:\n${status.error}`);
  return {
    baseUrl: status.baseUrl,
    logDir: status.logDir,
    mail: systemMail(status.inboxUrl, status.smtpUrl, { stop: noOutage, start: noOutage }),
    stop: async () => {},
  };
}
