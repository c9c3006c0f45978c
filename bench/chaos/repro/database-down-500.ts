/**
 * Reproduction: while Postgres is down every service answers 500 "Something went
 * wrong", where API.md promises 503 for a dependency that is down ("A 500 is
 * always a bug") — found by the chaos run (726 of them in a 10 s outage).
 *
 *   npx tsx --conditions=@gittix/source bench/chaos/repro/database-down-500.ts
 *
 * A route on the shared service app (createServiceApp, as every service builds
 * its app) queries a pool whose server does not answer; the shared error handler
 * turns the connection error into a 500. Prints REPRODUCED when it is not a 503.
 */
import { createDb, createServiceApp, pingDb } from '@gittix/common';
import { freePort } from '@gittix/common/testing';

const downPort = await freePort();
const db = createDb(`postgres://postgres:postgres@127.0.0.1:${downPort}/gone`);
const app = await createServiceApp({ name: 'repro' });
app.get('/api/repro', async () => {
  await pingDb(db);
  return { ok: true };
});
const response = await app.inject({ method: 'GET', url: '/api/repro' });
process.stdout.write(`database unreachable → ${response.statusCode} ${response.body}\n`);
await app.close();
await db.destroy();
const reproduced = response.statusCode !== 503;
process.stdout.write(reproduced ? 'REPRODUCED: not a 503\n' : 'not reproduced: 503\n');
process.exit(reproduced ? 1 : 0);
