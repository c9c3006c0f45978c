/**
 * Flash-sale benchmark: buyers racing for tickets (orders placed/s, latency,
 * proof of one order per ticket) and the expiry lag of orders expiring at once.
 * Writes bench/flash-sale/REPORT.md.
 *
 *   npx tsx --conditions=@gittix/source bench/flash-sale/run.ts
 *     [--buyers 2000] [--tickets 200] [--connections 100] [--expiring 1000]
 *     [--lead-seconds 15] [--base-url http://127.0.0.1:3000 --orders-port 3103]
 *
 * Starts the orders and expiration services as child processes on a database,
 * stream and queue prefix of its own (removed when it ends, also on Ctrl-C),
 * using the machine's Postgres, NATS and Redis (TEST_POSTGRES_URL, TEST_NATS_URL,
 * TEST_REDIS_URL). Requests go straight to the orders service unless --base-url
 * names something in front of it, e.g. a gateway started with
 * ORDERS_URL=http://127.0.0.1:<orders-port>.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createTestSessionKeys } from '@gittix/common/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { runExpiryBurst } from './expiry-burst.js';
import { runFlashSale } from './flash-sale.js';
import { renderReport } from './report.js';
import { type BenchSystem, startSystem } from './system.js';

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '2000' },
    tickets: { type: 'string', default: '200' },
    connections: { type: 'string', default: '100' },
    expiring: { type: 'string', default: '1000' },
    'lead-seconds': { type: 'string', default: '15' },
    'base-url': { type: 'string' },
    'orders-port': { type: 'string' },
    report: { type: 'string', default: new URL('./REPORT.md', import.meta.url).pathname },
  },
});
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const say = (line: string) => process.stderr.write(`[flash-sale] ${line}\n`);

let system: BenchSystem | undefined;
process.once('SIGINT', () => {
  say('interrupted: cleaning up');
  void (system?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

async function machine(bench: BenchSystem, loadBefore: number): Promise<string> {
  const cpu = cpus();
  const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(bench.db);
  const redisInfo = await bench.redis.info('server');
  const redisVersion = /redis_version:(\S+)/.exec(String(redisInfo))?.[1] ?? '?';
  return [
    `${cpu.length} CPUs (${cpu[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM;`,
    `Node ${process.version}; PostgreSQL ${rows[0]?.server_version}; nats-server ${bench.bus.nc.info?.version};`,
    `Redis ${redisVersion}. Postgres, NATS, Redis, both services and the load generator share`,
    `the machine; 1-minute load average ${loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after`,
    loadBefore > cpu.length
      ? '(more than its CPUs: other work was running, so treat the numbers as a floor).'
      : '(a quiet machine).',
  ].join('\n');
}

async function main() {
  const loadBefore = loadavg()[0]!;
  const keys = await createTestSessionKeys();
  say('starting orders and expiration…');
  system = await startSystem({
    publicKeyPem: keys.publicKeyPem,
    ordersPort: args['orders-port'] ? Number(args['orders-port']) : undefined,
    logger,
  });
  say(`services up (logs in ${system.logDir})`);
  const baseUrl = args['base-url'] ?? system.ordersUrl;
  const saleSettings = {
    buyers: Number(args.buyers),
    tickets: Number(args.tickets),
    connections: Number(args.connections),
    baseUrl,
  };
  say(`flash sale: ${saleSettings.buyers} buyers, ${saleSettings.tickets} tickets → ${baseUrl}`);
  const sale = await runFlashSale(system, keys, saleSettings);
  say(JSON.stringify(sale));

  const leadSeconds = Number(args['lead-seconds']);
  say(`expiry burst: ${args.expiring} orders expiring together in ${leadSeconds} s…`);
  const expiry = await runExpiryBurst(system, { orders: Number(args.expiring), leadSeconds });
  say(JSON.stringify(expiry));

  const report = renderReport({
    sale,
    saleSettings,
    expiry,
    leadSeconds,
    machine: await machine(system, loadBefore),
    command:
      `npx tsx --conditions=@gittix/source bench/flash-sale/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    target: args['base-url'] ? `\`${baseUrl}\`` : 'the orders service directly',
    date: new Date().toISOString().slice(0, 10),
  });
  await writeFile(args.report, report);
  say(`wrote ${args.report}`);
}

try {
  await main();
} finally {
  await system?.stop();
}
