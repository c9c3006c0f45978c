/**
 * `npm run bench:tracing`: what tracing costs on the read path, in the flash sale and
 * on the expiry path. Two copies of GitTix (gateway, tickets, orders, expiration) run side by side, one with
 * tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT: the AlwaysOff sampler), one exporting
 * every span over OTLP/HTTP to an in-process sink that does not parse them, on
 * databases of their own seeded alike. GET /api/tickets/:id is sent in short
 * alternating bursts, the order rotating each round, so that whatever else loads
 * the machine hits both alike; each round's on/off ratio is kept and the medians
 * reported, both of requests per second and of the services' CPU per request (read
 * from /proc: what the rest of the shared machine does is left out of it). Then the
 * flash sale: each round, fresh buyers race for fresh tickets on each copy in turn
 * (the order rotating), orders/s and CPU per attempt compared the same way. Then the
 * expiry path: each round, --expiring orders on each copy fall due at one instant (the
 * order rotating), their cancellation lag and the CPU per expiry of expiration, orders
 * and tickets compared the same way (the traced copy adds BullMQ's spans). Prints
 * markdown tables and writes bench/results/tracing-<time>.json. Before each round both
 * copies sit idle for --idle-seconds together: what their services use then (timers,
 * pollers) is left out of the round's CPU, which would otherwise count it per request
 * the more, the slower the loaded machine serves.
 *
 *   npm run bench:tracing -- [--mode dist|source] [--skip-build] [--connections 10]
 *                            [--seconds 3] [--rounds 4] [--tickets 50]
 *                            [--sale-rounds 4] [--buyers 400] [--sale-tickets 40]
 *                            [--sale-connections 50] [--expiry-rounds 2]
 *                            [--expiring 300] [--cpu-prof tickets,gateway]
 *                            [--idle-seconds 2] [--sampler parentbased_traceidratio]
 *                            [--sampler-arg 0.1]
 *                            [--variant-env OTEL_GITTIX_EXPORT_THREAD=worker …]
 *
 * --sale-rounds 0 leaves the sale out, --expiry-rounds 0 the expiry path; --cpu-prof runs the named services of both
 * copies under `node --cpu-prof` (bench/profiles/raw/tracing-<off|on>/). --variant-env
 * (repeatable, KEY=VALUE) starts a third copy, traced like "on" with those variables
 * added, whose read bursts rotate with the other two: a change to how spans are
 * exported is compared with the current one in the same rounds (the sale leaves it out).
 *
 * Opt-in (not part of `npm run bench`): it starts two more systems. Uses the
 * machine's Postgres, NATS and Redis under names `gx_<run>_…`, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventBus } from '@gittix/common';
import { testInfra, testLogger, testRunId, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { buildServices } from '../../scripts/system/build.js';
import { dropRunData } from '../../scripts/system/run-data.js';
import { repoRoot } from '../../scripts/system/services.js';
import { isolatedSettings, type RunningSystem, startSystem } from '../../scripts/system/system.js';
import { listTicketsForSale, waitForRows } from '../harness/api.js';
import { type ExpirationQueue, openExpirationQueue } from '../harness/expiration-queue.js';
import { runLoad } from '../harness/load.js';
import { machineNow } from '../harness/machine.js';
import { signSessions } from '../harness/sessions.js';
import { median, summarize } from '../harness/stats.js';
import { EXPIRY_SERVICES, expiryRound } from './expiry.js';
import {
  type Burst,
  type CostRow,
  costRows,
  type ExpiryBurst,
  expiryRow,
  renderCostTable,
  renderExpiryTable,
  renderSaleTable,
  type SaleBurst,
  saleRow,
} from './report.js';
import { idleCores, saleRound, servicesCpu } from './sale.js';
import { startOtlpSink } from './sink.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dist' },
    'skip-build': { type: 'boolean', default: false },
    connections: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '4' },
    tickets: { type: 'string', default: '50' },
    'sale-rounds': { type: 'string' },
    buyers: { type: 'string', default: '400' },
    'sale-tickets': { type: 'string', default: '40' },
    'sale-connections': { type: 'string', default: '50' },
    'expiry-rounds': { type: 'string', default: '2' },
    expiring: { type: 'string', default: '300' },
    'cpu-prof': { type: 'string' },
    'idle-seconds': { type: 'string', default: '2' },
    /** The traced copy's OTEL_TRACES_SAMPLER (default: the services' parentbased_always_on). */
    sampler: { type: 'string' },
    /** Its OTEL_TRACES_SAMPLER_ARG, e.g. 0.1 with parentbased_traceidratio. */
    'sampler-arg': { type: 'string' },
    /** KEY=VALUE for a third, traced copy (repeatable), e.g. OTEL_GITTIX_EXPORT_THREAD=worker. */
    'variant-env': { type: 'string', multiple: true },
  },
});
process.env.GITTIX_TEST_RUN ??= `trc${randomBytes(3).toString('hex')}`;
const mode = args.mode === 'source' ? 'source' : 'dist';
const connections = Number(args.connections);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const saleRounds = Number(args['sale-rounds'] ?? args.rounds);
const saleTickets = Number(args['sale-tickets']);
const expiryRounds = Number(args['expiry-rounds']);
const expiring = Number(args.expiring);
/** Orders due at once in the expiry warm-up (left out of every number). */
const EXPIRY_WARM_UP = 50;
const idleSeconds = Number(args['idle-seconds']);
const profiled = args['cpu-prof']?.split(',').map((s) => s.trim()) ?? [];
/** The read path's processes, whose CPU the read bursts count. */
const READ_SERVICES = ['tickets', 'gateway'] as const;
/** The flash sale's path: the order, the reservation, the expiration job. */
const SALE_SERVICES = ['gateway', 'tickets', 'orders', 'expiration'] as const;
const say = (line: string) => process.stderr.write(`[bench:tracing] ${line}\n`);
/** The third copy's extra environment (none: no third copy). */
const variantEnv = Object.fromEntries(
  (args['variant-env'] ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--variant-env wants KEY=VALUE, got ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const COPIES: readonly Tracing[] =
  Object.keys(variantEnv).length > 0 ? ['off', 'on', 'variant'] : ['off', 'on'];

type Tracing = 'off' | 'on' | 'variant';
type Via = 'tickets' | 'gateway';

async function main(): Promise<void> {
  const machine = machineNow();
  say(`machine: ${machine.cpus} CPUs, load ${machine.load.join(' ')}`);
  if (mode === 'dist' && !args['skip-build']) {
    say('building the services (tsc -b and bundles, incremental)…');
    buildServices();
  }
  const receiver = await startOtlpSink();
  const systems: Partial<Record<Tracing, RunningSystem>> = {};
  const pools: Partial<Record<Tracing, { orders: pg.Pool; tickets: pg.Pool }>> = {};
  const expiryLinks: Partial<Record<Tracing, { bus: EventBus; expirations: ExpirationQueue }>> = {};
  if (COPIES.includes('variant')) say(`variant copy: ${JSON.stringify(variantEnv)}`);
  /** What the sink received since `before`, once the exporter's last batch is in. */
  const exportedSince = async (before: { exports: number; bytes: number }) => {
    // The exporter sends every few hundred ms: give the last batch time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = receiver.received();
    return { exports: after.exports - before.exports, bytes: after.bytes - before.bytes };
  };
  try {
    const logDir = join(repoRoot, 'test-output', 'bench-tracing', testRunId());
    for (const tracing of COPIES) {
      const traced = tracing !== 'off';
      say(`starting ${SALE_SERVICES.join(', ')} with tracing ${tracing}…`);
      const profileDir = join(repoRoot, 'bench', 'profiles', 'raw', `tracing-${tracing}`);
      if (profiled.length > 0) await mkdir(profileDir, { recursive: true });
      systems[tracing] = await startSystem({
        mode,
        only: [...SALE_SERVICES],
        logDir: join(logDir, tracing),
        nodeArgs: Object.fromEntries(
          profiled.map((service) => [
            service,
            ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${service}.cpuprofile`],
          ]),
        ),
        settings: await isolatedSettings({
          infra: testInfra,
          name: uniqueName(`tr${tracing}`),
          logLevel: 'warn',
          // Orders of the sale must not expire while the benchmark runs.
          orderExpirationSeconds: 3600,
          extraEnv: {
            NODE_ENV: 'production',
            ...(traced ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : {}),
            ...(traced && args.sampler ? { OTEL_TRACES_SAMPLER: args.sampler } : {}),
            ...(traced && args['sampler-arg']
              ? { OTEL_TRACES_SAMPLER_ARG: args['sampler-arg'] }
              : {}),
            ...(tracing === 'variant' ? variantEnv : {}),
          },
        }),
      });
    }
    const ticketIds: Record<Tracing, string[]> = { off: [], on: [], variant: [] };
    const saleTicketIds: Record<Tracing, string[][]> = { off: [], on: [], variant: [] };
    const expiryTicketIds: Record<Tracing, string[][]> = { off: [], on: [], variant: [] };
    for (const tracing of COPIES) {
      const system = systems[tracing]!;
      const pool = (service: string) => {
        const p = new pg.Pool({ connectionString: system.databaseUrl(service), max: 2 });
        p.on('error', () => {});
        return p;
      };
      pools[tracing] = { orders: pool('orders'), tickets: pool('tickets') };
      const [seller] = await signSessions(system.settings.jwt.privateKeyPem, 1, 'seller');
      const titles = Array.from({ length: Number(args.tickets) }, (_, i) => `Traced seat ${i}`);
      ticketIds[tracing] = await listTicketsForSale(system.baseUrl, seller!, titles);
      // The sale's tickets (a warm-up round first), in orders' replica before it starts.
      const forSale = await listTicketsForSale(
        system.baseUrl,
        seller!,
        Array.from({ length: (saleRounds + 1) * saleTickets }, (_, i) => `Sale seat ${i}`),
      );
      await waitForRows(pools[tracing].orders, 'tickets', forSale, 'sale tickets in orders');
      saleTicketIds[tracing] = Array.from({ length: saleRounds + 1 }, (_, r) =>
        forSale.slice(r * saleTickets, (r + 1) * saleTickets),
      );
      if (expiryRounds > 0 && tracing !== 'variant') {
        // The expiry path's tickets: a warm-up's, then one batch per round.
        const toExpire = await listTicketsForSale(
          system.baseUrl,
          seller!,
          Array.from(
            { length: EXPIRY_WARM_UP + expiryRounds * expiring },
            (_, i) => `Held seat ${i}`,
          ),
        );
        await waitForRows(pools[tracing].orders, 'tickets', toExpire, 'held tickets in orders');
        expiryTicketIds[tracing] = [
          toExpire.slice(0, EXPIRY_WARM_UP),
          ...Array.from({ length: expiryRounds }, (_, r) =>
            toExpire.slice(EXPIRY_WARM_UP + r * expiring, EXPIRY_WARM_UP + (r + 1) * expiring),
          ),
        ];
        expiryLinks[tracing] = {
          bus: await EventBus.connect({
            url: system.settings.natsUrl,
            stream: system.settings.stream,
            subjectPrefix: system.settings.subjectPrefix,
            name: `bench-tracing-${tracing}`,
            logger: testLogger,
          }),
          expirations: openExpirationQueue(system.settings.redisUrl, system.settings.queuePrefix),
        };
      }
    }
    const idle = {
      read: { off: 0, on: 0, variant: 0 },
      sale: { off: 0, on: 0, variant: 0 },
      expiry: { off: 0, on: 0, variant: 0 },
    };
    const measureIdle = async (leg: 'read' | 'sale' | 'expiry') => {
      const services = { read: READ_SERVICES, sale: SALE_SERVICES, expiry: EXPIRY_SERVICES }[leg];
      idle[leg] = await idleCores(systems as Record<Tracing, RunningSystem>, services, idleSeconds);
      idleLog.push({ leg, ...idle[leg] });
    };
    const idleLog: Array<{ leg: string; off: number; on: number; variant: number }> = [];
    const cpuOf = (tracing: Tracing) =>
      servicesCpu(systems[tracing]!, READ_SERVICES, idle.read[tracing]);
    const urlOf = (tracing: Tracing, via: Via) =>
      via === 'gateway' ? systems[tracing]!.baseUrl : systems[tracing]!.urlOf('tickets');
    const burst = async (tracing: Tracing, via: Via, burstSeconds: number) => {
      const stopCpu = await cpuOf(tracing)();
      const result = await runLoad({
        url: urlOf(tracing, via),
        connections,
        seconds: burstSeconds,
        request: (n) => ({
          path: `/api/tickets/${ticketIds[tracing][n % ticketIds[tracing].length]}`,
        }),
      });
      return { ...result, cpuSeconds: await stopCpu() };
    };
    const targets: Array<[Tracing, Via]> = (['tickets', 'gateway'] as const).flatMap((via) =>
      COPIES.map((tracing): [Tracing, Via] => [tracing, via]),
    );
    say('warming up (left out of every number)…');
    for (const [tracing, via] of targets) await burst(tracing, via, 1);
    const before = receiver.received();

    const bursts: Burst[] = [];
    for (let round = 0; round < rounds; round++) {
      await measureIdle('read');
      for (let i = 0; i < targets.length; i++) {
        const [tracing, via] = targets[(i + round) % targets.length]!;
        const result = await burst(tracing, via, seconds);
        const non2xx = Object.entries(result.statuses)
          .filter(([code]) => !code.startsWith('2'))
          .reduce((sum, [, n]) => sum + n, 0);
        bursts.push({ round, tracing, via, ...result, non2xx });
      }
      say(`round ${round + 1}/${rounds} done`);
    }
    const exported = await exportedSince(before);

    const sale = (round: number, tracing: 'off' | 'on') =>
      saleRound({
        round,
        tracing,
        system: systems[tracing]!,
        pools: pools[tracing]!,
        ticketIds: saleTicketIds[tracing][round + 1]!,
        buyers: Number(args.buyers),
        connections: Number(args['sale-connections']),
        services: SALE_SERVICES,
        idleCores: idle.sale[tracing],
      });
    /**
     * A warm-up on both copies (left out), then `count` rounds, each after the idle
     * measure, off and on taking turns to go first.
     */
    const alternating = async <T>(
      leg: 'sale' | 'expiry',
      count: number,
      run: (round: number, tracing: 'off' | 'on') => Promise<T>,
    ): Promise<T[]> => {
      const results: T[] = [];
      if (count === 0) return results;
      say(`${leg} warm-up (left out)…`);
      for (const tracing of ['off', 'on'] as const) await run(-1, tracing);
      for (let round = 0; round < count; round++) {
        await measureIdle(leg);
        const order: Array<'off' | 'on'> = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        for (const tracing of order) results.push(await run(round, tracing));
        say(`${leg} round ${round + 1}/${count} done`);
      }
      return results;
    };
    const saleBefore = receiver.received();
    const saleBursts: SaleBurst[] = await alternating('sale', saleRounds, sale);
    const saleExported = await exportedSince(saleBefore);

    const expire = (round: number, tracing: 'off' | 'on') =>
      expiryRound({
        round,
        tracing,
        system: systems[tracing]!,
        ordersPool: pools[tracing]!.orders,
        ...expiryLinks[tracing]!,
        ticketIds: expiryTicketIds[tracing][round + 1]!,
        leadMs: 3_000,
        idleCores: idle.expiry[tracing],
      });
    const expiryBefore = receiver.received();
    const expiryBursts: ExpiryBurst[] = await alternating('expiry', expiryRounds, expire);
    const expiryExported = await exportedSince(expiryBefore);
    const rows: CostRow[] = costRows(
      bursts,
      { median, summarize },
      COPIES.filter((copy) => copy !== 'off'),
    );
    const sold = saleBursts.length > 0 ? saleRow(saleBursts, { median, summarize }) : undefined;
    const expired = expiryBursts.length > 0 ? expiryRow(expiryBursts, { median }) : undefined;
    const table = [
      renderCostTable(rows),
      ...(sold ? [renderSaleTable(sold, Number(args.buyers), saleTickets)] : []),
      ...(expired ? [renderExpiryTable(expired, expiring)] : []),
    ].join('\n\n');
    const results = {
      startedAt: new Date().toISOString(),
      machine,
      machineAfter: machineNow(),
      settings: {
        mode,
        connections,
        seconds,
        rounds,
        tickets: Number(args.tickets),
        saleRounds,
        buyers: Number(args.buyers),
        saleTickets,
        saleConnections: Number(args['sale-connections']),
        expiryRounds,
        expiring,
        variantEnv,
      },
      exported,
      idle: idleLog,
      rows,
      ...(sold ? { sale: sold, saleExported } : {}),
      ...(expired ? { expiry: expired, expiryBursts, expiryExported } : {}),
    };
    const resultsDir = join(repoRoot, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const file = join(
      resultsDir,
      `tracing-${results.startedAt.replaceAll(':', '-').replace(/\..*/, '')}.json`,
    );
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `${table}\n\nTraced copy's sampler: ${args.sampler ?? 'parentbased_always_on'}${args['sampler-arg'] ? ` (${args['sampler-arg']})` : ''}. Exported by the traced copy: read path ${exported.exports} OTLP requests, ${(exported.bytes / 1e6).toFixed(1)} MB; sale ${saleExported.exports} requests, ${(saleExported.bytes / 1e6).toFixed(1)} MB; expiry ${expiryExported.exports} requests, ${(expiryExported.bytes / 1e6).toFixed(1)} MB\n`,
    );
    say(`wrote ${file}`);
  } finally {
    for (const p of Object.values(pools)) await Promise.all([p.orders.end(), p.tickets.end()]);
    for (const link of Object.values(expiryLinks)) {
      await link.expirations.close();
      await link.bus.close();
    }
    for (const system of Object.values(systems)) await system?.stop();
    await receiver.close();
    await dropRunData(`gx_${testRunId()}_`, testInfra).catch((error) =>
      say(`cleanup failed: ${String(error)}`),
    );
  }
}

await main();
