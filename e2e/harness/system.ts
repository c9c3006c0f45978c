import { join } from 'node:path';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import { ensureWebBuild } from '../../scripts/system/build.js';
import { services } from '../../scripts/system/services.js';
import {
  isolatedSettings,
  type RunningSystem as LaunchedSystem,
  startSystem as launch,
} from '../../scripts/system/system.js';

/** The launcher's running system, its logs always in files. */
export type RunningSystem = LaunchedSystem & { logDir: string };

export interface StartSystemOptions {
  orderExpirationSeconds?: number;
  /** Leave out the web app (API-only tests start faster). */
  web?: boolean;
  extraEnv?: Record<string, string>;
}

/**
 * The whole of GitTix as real processes from the TypeScript sources, on spare
 * ports and with databases, stream, subjects and queues of its own
 * (`gx_<run>_sys_…`), so end-to-end tests neither see nor disturb anything else.
 * Service logs: test-output/logs/<run>/<name>/.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<RunningSystem> {
  const web = options.web !== false;
  if (web) ensureWebBuild(() => {});
  const name = uniqueName('sys');
  const logDir = join('test-output', 'logs', testRunId(), name);
  const system = await launch({
    mode: 'source',
    only: services.map((s) => s.name).filter((s) => web || s !== 'web'),
    logDir,
    readyTimeoutMs: 90_000,
    settings: await isolatedSettings({
      infra: testInfra,
      name,
      logLevel: process.env.TEST_SYSTEM_LOG_LEVEL ?? 'info',
      orderExpirationSeconds: options.orderExpirationSeconds,
      extraEnv: options.extraEnv,
    }),
  });
  return Object.assign(system, { logDir });
}
