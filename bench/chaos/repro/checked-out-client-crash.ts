/**
 * Reproduction: a Postgres restart kills any service process that holds a pooled
 * connection between two queries (a transaction waiting on NATS, a provider call,
 * a handler) — found by the chaos run.
 *
 *   npx tsx --conditions=@gittix/source bench/chaos/repro/checked-out-client-crash.ts
 *
 * A child process opens the pool exactly as the services do (`createDb` from
 * @gittix/common) and starts a transaction that pauses between two queries; the
 * parent stops Postgres during the pause. Expected: the transaction fails, the
 * process lives on. Prints REPRODUCED when the child instead dies of an
 * unhandled 'error' event (exit code 1, "terminating connection due to
 * administrator command").
 */
import { spawn } from 'node:child_process';
import { createDb } from '@gittix/common';
import { sql } from 'kysely';
import { startPrivateInfra } from '../../../scripts/system/infra.js';

const [, , role, url] = process.argv;

if (role === 'child') {
  const db = createDb(`${url}/postgres`);
  try {
    await db.transaction().execute(async (trx) => {
      await sql`SELECT 1`.execute(trx);
      process.stdout.write('in transaction\n');
      // What the outbox relay does while it waits for JetStream's ack.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await sql`SELECT 1`.execute(trx);
    });
  } catch (error) {
    process.stdout.write(`transaction failed as it should: ${(error as Error).message}\n`);
  }
  await db.destroy().catch(() => {});
  process.stdout.write('child still alive\n');
  process.exit(0);
}

const infra = await startPrivateInfra();
try {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@gittix/source',
      '--import',
      'tsx',
      new URL(import.meta.url).pathname,
      'child',
      infra.postgres.url,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  while (!output.includes('in transaction')) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await infra.postgres.stop();
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (exitCode) => resolve(exitCode));
  });
  const crashed = code !== 0 && !output.includes('child still alive');
  process.stdout.write(
    `${output.split('\n').slice(0, 6).join('\n')}\n…\nchild exit code ${code}\n`,
  );
  process.stdout.write(
    crashed ? 'REPRODUCED: the process died\n' : 'not reproduced: the process survived\n',
  );
  process.exitCode = crashed ? 1 : 0;
} finally {
  await infra.destroy();
}
process.exit(process.exitCode ?? 0);
