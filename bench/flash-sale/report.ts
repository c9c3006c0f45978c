import type { ExpiryBurstResult } from './expiry-burst.js';
import type { FlashSaleResult, FlashSaleSettings } from './flash-sale.js';
import { ms } from './stats.js';

export interface ReportInput {
  sale: FlashSaleResult;
  saleSettings: FlashSaleSettings;
  expiry: ExpiryBurstResult;
  leadSeconds: number;
  machine: string;
  command: string;
  target: string;
  date: string;
}

const count = (value: number) => value.toLocaleString('en-US');

/** REPORT.md, from one run's numbers. */
export function renderReport(input: ReportInput): string {
  const { sale, saleSettings, expiry } = input;
  const statuses = Object.entries(sale.statuses)
    .map(([code, n]) => `${code} × ${count(n)}`)
    .join(', ');
  const rejections = Object.entries(sale.rejections)
    .map(([what, n]) => `\`${what}\` × ${count(n)}`)
    .join(', ');
  const exactlyOnce =
    sale.proof.ordersInDb === saleSettings.tickets &&
    sale.proof.ticketsWithAnOrder === saleSettings.tickets &&
    sale.proof.ticketsOrderedTwice === 0 &&
    (sale.statuses['201'] ?? 0) === saleSettings.tickets;
  return `# Flash-sale benchmark

Orders under a flash sale, through the real services: \`orders\` and
\`expiration\` run as child processes from their own \`main.ts\` (the production
wiring: outbox relay, JetStream consumers, BullMQ worker) on a database, stream
and queue prefix of the benchmark's own; the benchmark process generates the
load (autocannon) and observes the database and the bus.

## 1. ${count(saleSettings.buyers)} buyers racing for ${count(saleSettings.tickets)} tickets

Each signed-in buyer (a session signed with a test key) sends one
\`POST /api/orders\` for one of the tickets, ${Math.ceil(saleSettings.buyers / saleSettings.tickets)} buyers per ticket sent side by side,
${saleSettings.connections} connections at once, to ${input.target}.

| requests | took | requests/s | **orders placed/s** | latency p50 | p99 | max |
| --- | --- | --- | --- | --- | --- | --- |
| ${count(sale.requests)} | ${sale.durationSeconds.toFixed(2)} s | ${sale.requestsPerSecond.toFixed(0)} | **${sale.ordersPerSecond.toFixed(0)}** | ${ms(sale.latency.p50)} | ${ms(sale.latency.p99)} | ${ms(sale.latency.max)} |

- Responses: ${statuses}. Rejections: ${rejections || 'none'}.
- Proof, counted in the orders database afterwards: **${count(sale.proof.ordersInDb)} orders**
  on **${count(sale.proof.ticketsWithAnOrder)} distinct tickets**, ${sale.proof.ticketsOrderedTwice} tickets with more than one
  order, ${count(sale.proof.orderCreatedEvents)} \`order.created\` events in the outbox.
  ${exactlyOnce ? 'Exactly one order per ticket: the partial unique index held.' : '**NOT exactly one order per ticket: investigate.**'}
- "orders placed/s" = 201 responses ÷ the run's duration; latency is per request
  (201s and 400s alike), as autocannon measures it.

## 2. ${count(expiry.orders)} orders expiring at the same instant

${count(expiry.orders)} orders are committed with one shared \`expiresAt\`, ${input.leadSeconds} s ahead (order row +
\`order.created\` in one transaction, as \`createOrder\` does; the API can't give
them one instant). ${count(expiry.jobsScheduledBeforeExpiry)} of ${count(expiry.orders)} delayed jobs were in Redis before that instant.

| orders | fired: \`expiration.complete\` on the bus − expiresAt p50 | p99 | max | first→last fired | cancelled: \`order.cancelled\` on the bus − expiresAt p50 | p99 | max |
| --- | --- | --- | --- | --- | --- | --- | --- |
| ${count(expiry.orders)} | ${ms(expiry.fired.p50)} | ${ms(expiry.fired.p99)} | ${ms(expiry.fired.max)} | ${ms(expiry.firingSpreadMs)} | ${ms(expiry.cancelled.p50)} | ${ms(expiry.cancelled.p99)} | ${ms(expiry.cancelled.max)} |

- **fired**: the expiration worker (50 jobs at a time) published the event and
  JetStream stored it; measured when the benchmark's subscriber received it.
- **cancelled**: the orders service consumed \`expiration.complete\` (4 at a
  time), cancelled the order, and its outbox relay published \`order.cancelled\`.
  ${count(expiry.cancelledInDb)} of ${count(expiry.orders)} orders are \`cancelled\` in the database.

## Reading it

- The race is decided by Postgres, not by the service: every one of a ticket's
  buyers inserts, the first insert holds the index entry, the others wait for
  its commit and then fail with the unique violation (\`400\`). With buyers of
  one ticket sent side by side, the pool's 10 connections are mostly all on the
  same ticket, so a ticket costs about one winning transaction (insert, outbox
  row, \`pg_notify\`, commit with fsync) however many buyers it has. A CPU
  profile of the orders process during the race showed it idle most of the
  time; latency is mostly waiting for a pool connection (${saleSettings.connections} requests in
  flight, 10 connections) behind those commits.
- Expiry: the worker fires the whole burst within the "first→last fired" spread
  (BullMQ's per-job Lua scripts plus one JetStream round trip each, 50 at a
  time). Cancelling takes longer: one transaction per event (inbox row, update,
  outbox row, \`pg_notify\`), 4 at a time per consumer. Postgres serializes
  the commits of transactions that \`NOTIFY\` behind one cluster-wide lock held
  through the WAL flush, so the outbox's wake-up makes commit-heavy bursts like
  this one slower (a scratch test on this machine: 1000 insert+commit
  transactions 4 at a time took ~1.3 s, ~2–2.8 s with a \`pg_notify\`).
- First knobs, if a flash sale must go faster: more orders replicas (the index
  still decides), a larger pool, the orders consumers' concurrency for expiry
  bursts.

## Through a gateway

\`--base-url\` sends the race somewhere else, e.g. through the gateway, while
the benchmark still starts (and owns) the orders service. Pin its port and point
the gateway at it:

\`\`\`sh
ORDERS_URL=http://127.0.0.1:3103 npm run dev -w @gittix/gateway   # in one terminal
npx tsx --conditions=@gittix/source bench/flash-sale/run.ts --orders-port 3103 --base-url http://127.0.0.1:3000
\`\`\`

Sessions are signed with a key the benchmark generates and hands to its orders
service (\`JWT_PUBLIC_KEY\`); the gateway only forwards them.

## Machine and command

${input.machine} Run on ${input.date}.

\`\`\`sh
${input.command}
\`\`\`
`;
}
