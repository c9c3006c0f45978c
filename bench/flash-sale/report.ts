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
${saleSettings.connections} connections at once, to \`${input.target}\`.

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

## Machine and command

${input.machine} Run on ${input.date}.

\`\`\`sh
${input.command}
\`\`\`
`;
}
