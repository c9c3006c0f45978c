/**
 * CPU per ticket state of the orders service's ticket replica (applyTickets, what
 * its ticket.created and ticket.updated batch handlers run), in this process and
 * in the Postgres backends of its pool: `--batches` transactions of `--batch`
 * new states each, as an expiry burst's releases arrive. CPU time, not
 * throughput: it holds on a busy shared machine. Rounds of the implementations
 * alternate; the first is a warm-up and not counted.
 *
 *   npx tsx --conditions=@gittix/source services/orders/bench/replica-cost.ts \
 *     [--impl services/orders/src/ticket-replica.ts[,older.ts]] [--rounds 6] [--batch 100] [--batches 60]
 *
 * Each --impl is a module exporting applyTickets(trx, states) as
 * services/orders/src/ticket-replica.ts does (an older copy, for an A/B:
 * `git show <rev>:services/orders/src/ticket-replica.ts > services/orders/src/ticket-replica.before.ts`,
 * so that its imports resolve; delete it afterwards).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Transaction } from 'kysely';
import { databaseCpuMeter } from '../../../bench/harness/cpu.js';
import { median } from '../../../bench/harness/stats.js';
import { connectDatabase, migrateDatabase } from '../../../packages/common/src/db.js';
import { ticketUpdatedData } from '../../../packages/common/src/testing/event-data.js';
import { createTestDatabase } from '../../../packages/common/src/testing/test-database.js';
import { migrations } from '../src/db/migrations.js';
import type { OrdersDatabase } from '../src/db/schema.js';
import type { TicketState } from '../src/ticket-replica.js';

type ApplyTickets = (trx: Transaction<OrdersDatabase>, states: TicketState[]) => Promise<number>;

const { values: args } = parseArgs({
  options: {
    impl: { type: 'string', default: 'services/orders/src/ticket-replica.ts' },
    rounds: { type: 'string', default: '6' },
    batch: { type: 'string', default: '100' },
    batches: { type: 'string', default: '60' },
  },
});

const impls = await Promise.all(
  args.impl.split(',').map(async (path) => {
    const module = (await import(resolve(path))) as { applyTickets: ApplyTickets };
    return { path, applyTickets: module.applyTickets };
  }),
);
const database = await createTestDatabase('replicacost');
await migrateDatabase(database.url, migrations);
const db = await connectDatabase<OrdersDatabase>(database.url, migrations, { max: 10 });

const batch = Number(args.batch);
const batches = Number(args.batches);
const states = batch * batches;
const results = new Map<string, Array<{ node: number; pg: number }>>();
try {
  for (let round = -1; round < Number(args.rounds); round++) {
    for (const impl of round % 2 === 0 ? impls : [...impls].reverse()) {
      // New tickets, as an event's start and a reservation name them (every column set).
      const work = Array.from({ length: batches }, () =>
        Array.from({ length: batch }, () => ({
          ...ticketUpdatedData({
            orderId: randomUUID(),
            eventId: randomUUID(),
            eventStartsAt: new Date().toISOString(),
          }),
          version: 1,
          status: 'reserved' as const,
        })),
      );
      const stopPg = await databaseCpuMeter(db);
      const nodeBefore = process.cpuUsage();
      let applied = 0;
      for (const batchStates of work) {
        applied += await db.transaction().execute((trx) => impl.applyTickets(trx, batchStates));
      }
      const node = process.cpuUsage(nodeBefore);
      const pg = await stopPg();
      if (applied !== states) throw new Error(`${impl.path}: ${applied} applied of ${states}`);
      if (round < 0) continue;
      const row = { node: (node.user + node.system) / 1e6, pg };
      results.set(impl.path, [...(results.get(impl.path) ?? []), row]);
      console.log(
        `${impl.path}: ${((row.node / states) * 1e6).toFixed(1)} µs node, ${((pg / states) * 1e6).toFixed(1)} µs Postgres per state, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      );
    }
  }
  for (const [path, rows] of results) {
    console.log(
      `${path}: median ${((median(rows.map((r) => r.node)) / states) * 1e6).toFixed(1)} µs node, ${((median(rows.map((r) => r.pg)) / states) * 1e6).toFixed(1)} µs Postgres per state over ${rows.length} rounds (batches of ${batch})`,
    );
  }
} finally {
  await db.destroy();
  await database.drop();
}
