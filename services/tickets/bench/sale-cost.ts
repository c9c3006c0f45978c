/**
 * What the tickets service's share of a flash sale costs, per operation, in this
 * process and in its Postgres backends: the propagation probe's listings
 * (createTicket, 20 a second during the sale) and the reservations
 * (order.created through handleOnce, one per order placed). CPU time, not
 * throughput, so it holds on a busy shared machine; the variants' rounds alternate.
 *
 *   npx tsx --conditions=@gittix/source services/tickets/bench/sale-cost.ts \
 *     [--rounds 4] [--listings 400] [--variants unnamed,prepared,<dir>:unnamed]
 *
 * `unnamed`: every Kysely statement sent unnamed (parsed and planned per call);
 * `prepared`: createDb's default, repeated statements prepared per connection.
 * `<dir>:` runs the createTicket and order.created handler of another copy of
 * services/tickets/src (an older commit's, for an A/B); default this one's.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { inParallel } from '../../../bench/harness/api.js';
import { processSeconds } from '../../../bench/harness/cpu.js';
import { createDb, migrateDatabase } from '../../../packages/common/src/db.js';
import { createEnvelope } from '../../../packages/common/src/events/contracts.js';
import { handleOnce } from '../../../packages/common/src/events/inbox.js';
import type { EventHandler } from '../../../packages/common/src/events/subscription.js';
import { orderCreatedData, testLogger } from '../../../packages/common/src/testing/index.js';
import { createTestDatabase } from '../../../packages/common/src/testing/test-database.js';
import type { createTicket as CreateTicket } from '../src/create-ticket.js';
import { migrations } from '../src/db/migrations.js';
import type { TicketsDatabase } from '../src/db/schema.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    listings: { type: 'string', default: '400' },
    variants: { type: 'string', default: 'unnamed,prepared' },
    'in-flight': { type: 'string', default: '10' },
  },
});

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const database = await createTestDatabase('salecost');
await migrateDatabase(database.url, migrations);
const variants = await Promise.all(
  args.variants.split(',').map(async (name, i) => {
    const [dir, mode] = name.includes(':') ? name.split(':') : [undefined, name];
    const src = resolve(dir ?? new URL('../src', import.meta.url).pathname);
    const { createTicket } = (await import(`${src}/create-ticket.ts`)) as {
      createTicket: typeof CreateTicket;
    };
    const { onOrderCreated } = (await import(`${src}/events/order-created.ts`)) as {
      onOrderCreated: EventHandler<TicketsDatabase, 'order.created'>;
    };
    return {
      name,
      app: `salecost-${i}`,
      createTicket,
      onOrderCreated,
      // Each variant a pool (and so Postgres backends) of its own, named to be told apart.
      db: createDb<TicketsDatabase>(database.url, {
        max: 10,
        applicationName: `salecost-${i}`,
        prepareRepeated: mode !== 'unnamed',
      }),
    };
  }),
);
const listings = Number(args.listings);
const inFlight = Number(args['in-flight']);

/** CPU of this process and of the variant's backends while `work` runs, per item. */
async function measure(
  app: string,
  db: Kysely<TicketsDatabase>,
  items: number,
  work: () => Promise<void>,
) {
  const backends = async () =>
    (
      await sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity WHERE application_name = ${app}`.execute(db)
    ).rows.map((r) => r.pid);
  const pids = await backends();
  const pgBefore = new Map(pids.map((pid) => [pid, processSeconds(pid) ?? 0]));
  const nodeBefore = process.cpuUsage();
  await work();
  const node = process.cpuUsage(nodeBefore);
  let pg = 0;
  for (const pid of new Set([...pids, ...(await backends())])) {
    pg += (processSeconds(pid) ?? 0) - (pgBefore.get(pid) ?? 0);
  }
  return { node: (node.user + node.system) / items, pg: (pg * 1e6) / items };
}

const results = new Map<string, Array<Record<string, number>>>();
try {
  // Round -1 warms up (JIT, connections, statements) and is not counted.
  for (let round = -1; round < Number(args.rounds); round++) {
    for (const { name, app, db, createTicket, onOrderCreated } of round % 2 === 0
      ? variants
      : [...variants].reverse()) {
      const seller = randomUUID();
      const ids: string[] = [];
      const listing = await measure(app, db, listings, async () => {
        await inParallel(Array.from({ length: listings }), inFlight, async (_, i) => {
          ids.push((await createTicket(db, seller, { title: `probe ${i}`, price: 25 })).id);
        });
      });
      const reserve = handleOnce(db, 'tickets-order-created', onOrderCreated);
      const reservation = await measure(app, db, ids.length, async () => {
        await inParallel(ids, 1, async (ticketId) => {
          const event = createEnvelope(
            'order.created',
            orderCreatedData({ ticket: { id: ticketId, price: 25, version: 0, userId: seller } }),
            randomUUID(),
          );
          await reserve(event, { deliveries: 1, logger: testLogger });
        });
      });
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM tickets WHERE user_id = ${seller} AND order_id IS NOT NULL`.execute(
        db,
      );
      if (rows[0]!.n !== listings)
        throw new Error(`${name}: ${rows[0]!.n} of ${listings} reserved`);
      if (round < 0) continue;
      const row = {
        listingNode: listing.node,
        listingPg: listing.pg,
        reserveNode: reservation.node,
        reservePg: reservation.pg,
      };
      results.set(name, [...(results.get(name) ?? []), row]);
      console.log(
        `${name}: listing ${row.listingNode.toFixed(0)} µs node + ${row.listingPg.toFixed(0)} µs Postgres, ` +
          `reservation ${row.reserveNode.toFixed(0)} + ${row.reservePg.toFixed(0)} µs, load ${load()}`,
      );
    }
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    return (sorted[Math.ceil(mid) - 1]! + sorted[Math.floor(mid)]!) / 2;
  };
  for (const [name, rows] of results) {
    const m = (key: string) => median(rows.map((r) => r[key]!)).toFixed(0);
    console.log(
      `${name}, median of ${rows.length}: listing ${m('listingNode')} µs node + ${m('listingPg')} µs Postgres; ` +
        `reservation ${m('reserveNode')} + ${m('reservePg')} µs`,
    );
  }
} finally {
  await Promise.all(variants.map(({ db }) => db.destroy()));
  await database.drop();
}
