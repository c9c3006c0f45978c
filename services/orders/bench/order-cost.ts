/**
 * CPU per order attempt of the orders service's createOrder, in this process and
 * in the Postgres backends of its pool, under the flash sale's pattern (buyers of
 * one ticket next to each other, `--in-flight` at once, a pool of 10, most
 * attempts losing). CPU time, not throughput: it holds on a busy shared machine.
 * Each round seeds fresh tickets; rounds of the implementations alternate.
 *
 *   npx tsx --conditions=@gittix/source services/orders/bench/order-cost.ts \
 *     [--impl services/orders/src/create-order.ts[,reference][,other.ts]] [--rounds 4] [--buyers 2000] [--tickets 200]
 *
 * `--impl reference` is the benchmark's reference transaction (reference.ts). Any
 * other --impl is a module exporting createOrder(deps, { userId, ticketId }) as
 * services/orders/src/create-order.ts does (an older copy, for an A/B).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { placeOrder } from '../../../bench/flash-sale/reference.js';
import { inParallel } from '../../../bench/harness/api.js';
import { databaseCpuMeter } from '../../../bench/harness/cpu.js';
import { median } from '../../../bench/harness/stats.js';
import { connectDatabase, migrateDatabase, poolOf } from '../../../packages/common/src/db.js';
import { createTestDatabase } from '../../../packages/common/src/testing/test-database.js';
import { migrations } from '../src/db/migrations.js';
import type { OrdersDatabase } from '../src/db/schema.js';

type CreateOrder = (
  deps: { db: Kysely<OrdersDatabase>; expirationSeconds: number; maxOpenOrders: number },
  input: { userId: string; ticketId: string },
) => Promise<unknown>;

const { values: args } = parseArgs({
  options: {
    impl: { type: 'string', default: 'services/orders/src/create-order.ts' },
    rounds: { type: 'string', default: '4' },
    buyers: { type: 'string', default: '2000' },
    tickets: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '100' },
  },
});

/**
 * `reference`: the benchmark's reference transaction (reference.ts, plain SQL on
 * the pool; its statements fit the orders schema too), answering 400 as a loser.
 */
const reference: CreateOrder = async ({ db }, { userId, ticketId }) => {
  if (!(await placeOrder(poolOf(db)!, userId, ticketId))) {
    throw Object.assign(new Error('Ticket is already reserved'), { statusCode: 400 });
  }
};

const impls = await Promise.all(
  args.impl.split(',').map(async (path) => {
    if (path === 'reference') return { path, createOrder: reference };
    const module = (await import(resolve(path))) as { createOrder: CreateOrder };
    return { path, createOrder: module.createOrder };
  }),
);
const database = await createTestDatabase('ordercost');
await migrateDatabase(database.url, migrations);
const db = await connectDatabase<OrdersDatabase>(database.url, migrations, { max: 10 });

const buyers = Number(args.buyers);
const tickets = Number(args.tickets);
const inFlight = Number(args['in-flight']);
const results = new Map<string, Array<{ node: number; pg: number; sold: number; s: number }>>();
try {
  // Round 0 warms up (JIT, connections, prepared statements) and is not counted.
  for (let round = -1; round < Number(args.rounds); round++) {
    for (const impl of round % 2 === 0 ? impls : [...impls].reverse()) {
      const ticketIds = Array.from({ length: tickets }, () => randomUUID());
      await sql`
        INSERT INTO tickets (id, title, price_cents, user_id, version)
        SELECT id, 'Seat', 4999, gen_random_uuid(), 0 FROM unnest(${ticketIds}::uuid[]) AS t(id)`.execute(
        db,
      );
      const perTicket = Math.ceil(buyers / tickets);
      const attempts = Array.from({ length: buyers }, (_, i) => ({
        userId: randomUUID(),
        ticketId: ticketIds[Math.floor(i / perTicket)]!,
      }));
      const stopPg = await databaseCpuMeter(db);
      const nodeBefore = process.cpuUsage();
      const started = performance.now();
      let sold = 0;
      await inParallel(attempts, inFlight, async (attempt) => {
        try {
          await impl.createOrder({ db, expirationSeconds: 900, maxOpenOrders: 5 }, attempt);
          sold++;
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 400) throw error;
        }
      });
      const seconds = (performance.now() - started) / 1000;
      const node = process.cpuUsage(nodeBefore);
      const pg = await stopPg();
      if (sold !== tickets) throw new Error(`${impl.path}: ${sold} sold of ${tickets}`);
      const row = { node: (node.user + node.system) / 1e6, pg, sold, s: seconds };
      if (round < 0) continue;
      results.set(impl.path, [...(results.get(impl.path) ?? []), row]);
      console.log(
        `${impl.path}: ${((row.node / buyers) * 1e6).toFixed(0)} µs node, ${((pg / buyers) * 1e6).toFixed(0)} µs Postgres per attempt, ${(sold / seconds).toFixed(0)} orders/s, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      );
    }
  }
  for (const [path, rows] of results) {
    console.log(
      `${path}: median ${((median(rows.map((r) => r.node)) / buyers) * 1e6).toFixed(0)} µs node, ${((median(rows.map((r) => r.pg)) / buyers) * 1e6).toFixed(0)} µs Postgres per attempt over ${rows.length} rounds`,
    );
  }
} finally {
  await db.destroy();
  await database.drop();
}
