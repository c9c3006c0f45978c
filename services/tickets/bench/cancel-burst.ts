/**
 * What a burst of order.cancelled costs the tickets service (an expiry burst's
 * cascade), in this process: `--orders` reserved tickets, their order.cancelled
 * all waiting in the stream, then the consumers start and release them all. Prints
 * the time to release them, this process's CPU and the CPU of the Postgres backends
 * of the service's event pool, per cancel. Runs the same on any build of the
 * service, so two builds can be compared alternately.
 *
 *   npx tsx --conditions=@gittix/source services/tickets/bench/cancel-burst.ts [--orders 500]
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { durableName } from '@gittix/common';
import { startTestService, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { ticketsService } from '../src/service.js';

const { values: args } = parseArgs({ options: { orders: { type: 'string', default: '500' } } });
const orders = Number(args.orders);
const service = await startTestService(ticketsService);

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

try {
  const seller = randomUUID();
  const { rows } = await sql<{ id: string; order_id: string }>`
    INSERT INTO tickets (title, price_cents, user_id, order_id, status, version)
    SELECT 'burst ' || i, 2500, ${seller}::uuid, gen_random_uuid(), 'reserved', 1
    FROM generate_series(1, ${orders}) AS i
    RETURNING id, order_id`.execute(service.db);
  await sql`
    INSERT INTO orders_seen (order_id, ticket_id, expires_at, cancelled)
    SELECT order_id, id, now(), false
    FROM unnest(${rows.map((r) => r.order_id)}::uuid[], ${rows.map((r) => r.id)}::uuid[])
      AS t(order_id, id)`.execute(service.db);
  for (let i = 0; i < rows.length; i += 50) {
    await Promise.all(
      rows.slice(i, i + 50).map((row) =>
        service.publish('order.cancelled', {
          id: row.order_id,
          version: 1,
          ticket: { id: row.id },
        }),
      ),
    );
  }
  const consumer = durableName('tickets', 'order.cancelled');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await service.startConsumers();
  await waitFor(
    async () => {
      const { rows: done } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM inbox WHERE consumer = ${consumer}`.execute(service.db);
      return done[0]!.n === orders;
    },
    { timeoutMs: 600_000, intervalMs: 20, message: 'every cancel handled' },
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const { rows: backends } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'tickets-events'`.execute(service.db);
  const postgresMs = (await Promise.all(backends.map((b) => cpuMsOf(b.pid)))).reduce(
    (a, b) => a + b,
    0,
  );
  const { rows: left } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM tickets WHERE user_id = ${seller} AND status <> 'available'`.execute(
    service.db,
  );
  const perCancel = (ms: number) => `${((ms * 1000) / orders).toFixed(0)} µs`;
  console.log(
    JSON.stringify({
      orders,
      notReleased: left[0]!.n,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Math.round(orders / seconds),
      serviceCpuPerCancel: perCancel((used.user + used.system) / 1000),
      postgresCpuPerCancel: perCancel(postgresMs),
      load: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    }),
  );
} finally {
  await service.close();
}
