/**
 * The shared e2e system's process (see shared-system.ts): starts the system, writes
 * its URLs (or why it failed) to GITTIX_SHARED_SYSTEM_STATUS, and stops it on
 * SIGTERM or SIGINT, or when stdin closes (the test run that started it is gone).
 */
import { rename, writeFile } from 'node:fs/promises';
import { SHARED_SYSTEM_OPTIONS, type SharedSystemStatus } from './shared-system.js';
import { startSystem } from './system.js';

const statusFile = process.env.GITTIX_SHARED_SYSTEM_STATUS;
if (!statusFile)
  throw new Error('GITTIX_SHARED_SYSTEM_STATUS is not set (shared-system.ts sets it)');

/** Written whole (renamed into place), so a reader never sees half of it. */
async function report(status: SharedSystemStatus): Promise<void> {
  await writeFile(`${statusFile}.tmp`, JSON.stringify(status));
  await rename(`${statusFile}.tmp`, statusFile!);
}

// Asked to stop while still starting: it stops once started (never leaving services behind).
let stopAsked = false;
let stop = () => {
  stopAsked = true;
};
process.once('SIGTERM', () => stop());
process.once('SIGINT', () => stop());
process.stdin
  .on('end', () => stop())
  .on('close', () => stop())
  .resume();

const startedAt = Date.now();
try {
  const system = await startSystem(SHARED_SYSTEM_OPTIONS);
  let stopping = false;
  stop = () => {
    if (stopping) return;
    stopping = true;
    void system.stop().then(() => process.exit(0));
  };
  if (stopAsked) stop();
  await report({
    baseUrl: system.baseUrl,
    inboxUrl: system.mail.inboxUrl,
    smtpUrl: system.mail.smtpUrl,
    logDir: system.logDir,
  });
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(
    `e2e-shared: the shared system started in ${seconds} s (${system.logDir})\n`,
  );
} catch (error) {
  await report({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
