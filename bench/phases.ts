import { join } from 'node:path';
import { createDb, EventBus, openDatabase } from '@gittix/common';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { buildServices } from '../scripts/system/build.js';
import { repoRoot } from '../scripts/system/services.js';
import { connectRedis, EXPIRATION_QUEUE } from '../services/expiration/src/order-expirations.js';
import { migrations as ordersMigrations } from '../services/orders/src/db/migrations.js';
import type { OrdersDatabase } from '../services/orders/src/db/schema.js';
import { expireTogether } from './expiry/burst.js';
import { bareBullmqBurst } from './expiry/reference.js';
import { attemptsFor } from './flash-sale/buyers.js';
import { countOrders, waitForReservations } from './flash-sale/proof.js';
import { raceThroughGateway } from './flash-sale/race.js';
import { raceAgainstPostgres, seedReferenceTickets } from './flash-sale/reference.js';
import { runPrefix } from './harness/cleanup.js';
import { cpuMeter } from './harness/cpu.js';
import { machineNow, pidsNamed } from './harness/machine.js';
import { signSessions } from './harness/sessions.js';
import { median, now, summarize } from './harness/stats.js';
import { startBenchSystem } from './harness/system.js';
import { listTicketsForSale, waitForRows } from './harness/tickets.js';
import { startPropagationProbe } from './propagation/probe.js';
import { installProbeTriggers } from './propagation/triggers.js';
import { measureReadPath } from './read-path/measure.js';
import type { BenchResults, SaleRound, SaleSide } from './results.js';

export interface BenchSettings {
  mode: 'dist' | 'source';
  build: boolean;
  buyers: number;
  tickets: number;
  connections: number;
  rounds: number;
  read: { connections: number; seconds: number; rounds: number };
  probeRate: number;
  idleProbeSeconds: number;
  expiring: number;
  leadSeconds: number;
  logLevel: string;
  label: string;
}

/** The orders service's pool (createDb's default): the reference transaction gets the same. */
const ORDERS_POOL_SIZE = 10;
/** The expiration service's worker concurrency: the bare BullMQ reference gets the same. */
const EXPIRATION_WORKER_CONCURRENCY = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runBench(
  settings: BenchSettings,
  { say, signal }: { say: (line: string) => void; signal: AbortSignal },
): Promise<BenchResults> {
  const startedAt = new Date();
  const machineBefore = machineNow();
  say(`machine: ${machineBefore.cpus} CPUs, load ${machineBefore.load.join(' ')}`);
  let buildSeconds: number | undefined;
  if (settings.mode === 'dist' && settings.build) {
    say('compiling the services to dist/ (tsc -b, incremental)…');
    const t = now();
    buildServices();
    buildSeconds = (now() - t) / 1000;
  }

  const logDir = join(repoRoot, 'test-output', 'bench', testRunId());
  say(`starting GitTix (${settings.mode}, logs in ${logDir})…`);
  const t0 = now();
  const system = await startBenchSystem({
    mode: settings.mode,
    // Orders placed by the sale must not expire while the benchmark runs.
    orderExpirationSeconds: 3600,
    logLevel: settings.logLevel,
    logDir,
  });
  const startupSeconds = (now() - t0) / 1000;
  const abort = () => void system.stop();
  signal.addEventListener('abort', abort);
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const pool = (service: string, max = 3) => {
      const p = new pg.Pool({ connectionString: system.databaseUrl(service), max });
      closers.push(() => p.end());
      return p;
    };
    const ticketsPool = pool('tickets');
    const ordersPool = pool('orders');
    const admin = new pg.Pool({ connectionString: `${testInfra.postgresUrl}/postgres`, max: 1 });
    closers.push(() => admin.end());
    const ordersDb = createDb<OrdersDatabase>(system.databaseUrl('orders'), { max: 2 });
    closers.push(() => ordersDb.destroy());
    const referenceUrl = `${testInfra.postgresUrl}/${uniqueName('ref_orders')}`;
    const referenceDb = await openDatabase<OrdersDatabase>(referenceUrl, ordersMigrations, {
      max: ORDERS_POOL_SIZE,
    });
    closers.push(() => referenceDb.destroy());
    const referencePool = new pg.Pool({ connectionString: referenceUrl, max: 2 });
    closers.push(() => referencePool.end());
    const bus = await EventBus.connect({
      url: system.settings.natsUrl,
      stream: system.settings.stream,
      subjectPrefix: system.settings.subjectPrefix,
      name: 'bench',
      logger: pino({ level: 'warn' }),
    });
    closers.push(() => bus.close());
    const redis: Redis = connectRedis(system.settings.redisUrl);
    closers.push(() => redis.quit());
    const expirationQueue = new Queue(EXPIRATION_QUEUE, {
      connection: redis,
      prefix: system.settings.queuePrefix,
    });
    closers.push(() => expirationQueue.close());

    const services = ['gateway', 'tickets', 'orders', 'expiration', 'payments', 'auth'];
    const infraPids = { nats: pidsNamed('nats-server'), redis: pidsNamed('redis-server') };
    const groups = async () => {
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE starts_with(datname, $1)',
        [runPrefix()],
      );
      return {
        ...Object.fromEntries(services.map((name) => [name, [system.pidOf(name) ?? -1]])),
        postgres: rows.map((r) => r.pid),
        ...infraPids,
        bench: [process.pid],
      };
    };
    const meterCpu = (extra: Record<string, number[]> = {}) =>
      cpuMeter(async () => ({ ...(await groups()), ...extra })).start();

    say('signing sessions and listing tickets through the gateway…');
    const [seller] = await signSessions(system.settings.jwt.privateKeyPem, 1, 'seller');
    const buyers = await signSessions(system.settings.jwt.privateKeyPem, settings.buyers, 'buyer');
    const title = (what: string) => (_: unknown, i: number) => `${what} ${i}`;
    const saleTitles = Array.from(
      { length: settings.rounds * settings.tickets + 20 },
      title('Seat'),
    );
    const expiringTitles = Array.from({ length: settings.expiring }, title('Expiring seat'));
    const listed = await listTicketsForSale(system.baseUrl, seller!, [
      ...saleTitles,
      ...expiringTitles,
    ]);
    const warmUpTickets = listed.slice(0, 20);
    const saleTickets = Array.from({ length: settings.rounds }, (_, r) =>
      listed.slice(20 + r * settings.tickets, 20 + (r + 1) * settings.tickets),
    );
    const expiringTickets = listed.slice(saleTitles.length);
    await waitForRows(ordersPool, 'tickets', listed, 'listed tickets in the orders replica');
    await installProbeTriggers(ticketsPool, ordersPool);
    signal.throwIfAborted();

    // 1. Read path.
    say('read path: GET /api/tickets/:id, reference / tickets / gateway…');
    const readPath = await measureReadPath(
      {
        ticketsUrl: system.urlOf('tickets'),
        gatewayUrl: system.baseUrl,
        ticketsDatabaseUrl: system.databaseUrl('tickets'),
        ticketIds: saleTickets[0]!,
        meterCpu,
        say,
      },
      settings.read,
    );
    signal.throwIfAborted();

    // 2 and 3. Flash sale with ticket.created propagation measured during it.
    const probe = await startPropagationProbe({
      baseUrl: system.baseUrl,
      seller: seller!,
      ticketsDatabaseUrl: system.databaseUrl('tickets'),
      ordersDatabaseUrl: system.databaseUrl('orders'),
      rate: settings.probeRate,
    });
    closers.push(() => probe.stop());
    say('flash sale warm-up (200 buyers, 20 tickets, both sides)…');
    const warmUpBuyers = buyers.slice(0, 200);
    await raceThroughGateway(system.baseUrl, attemptsFor(warmUpBuyers, warmUpTickets), 50);
    await raceAgainstPostgres(
      referenceDb,
      attemptsFor(warmUpBuyers, await seedReferenceTickets(referenceDb, 20)),
      50,
    );

    const rounds: SaleRound[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      const ticketIds = saleTickets[r]!;
      const gatewaySide = async (): Promise<SaleSide> => {
        const stopCpu = await meterCpu({ probe: [probe.pid] });
        const race = raceThroughGateway(
          system.baseUrl,
          attemptsFor(buyers, ticketIds),
          settings.connections,
        );
        const propagation = await probe.measure(race);
        const result = await race;
        const cpu = await stopCpu();
        const proof = await countOrders(ordersPool, ticketIds);
        Object.assign(proof, await waitForReservations(ordersPool, ticketsPool, ticketIds));
        return { ...result, proof, cpu, propagation: propagation.latencies };
      };
      const referenceSide = async (): Promise<SaleSide> => {
        const ids = await seedReferenceTickets(referenceDb, settings.tickets);
        const stopCpu = await meterCpu();
        const result = await raceAgainstPostgres(
          referenceDb,
          attemptsFor(buyers, ids),
          settings.connections,
        );
        const cpu = await stopCpu();
        return { ...result, proof: await countOrders(referencePool, ids), cpu };
      };
      const idleProbe = async () =>
        (await probe.measure(sleep(settings.idleProbeSeconds * 1000))).latencies;

      // A B then B A: drift in the machine's load hits both sides alike.
      let gateway: SaleSide;
      let reference: SaleSide;
      let idle: number[];
      if (r % 2 === 0) {
        gateway = await gatewaySide();
        idle = await idleProbe();
        reference = await referenceSide();
      } else {
        reference = await referenceSide();
        idle = await idleProbe();
        gateway = await gatewaySide();
      }
      rounds.push({ gateway, reference, idlePropagation: idle });
      say(
        `flash sale round ${r + 1}/${settings.rounds}: gateway ${gateway.ordersPerSecond.toFixed(0)} orders/s ` +
          `(${gateway.proof.orders} orders on ${gateway.proof.ticketsWithAnOrder} tickets), ` +
          `reference ${reference.ordersPerSecond.toFixed(0)} orders/s`,
      );
      signal.throwIfAborted();
    }

    // 4. Expiry burst, bracketed by the bare BullMQ reference.
    say(`expiry: bare BullMQ, then ${settings.expiring} orders due together, then BullMQ again…`);
    const bullmq = (leadMs: number) =>
      bareBullmqBurst({
        redisUrl: system.settings.redisUrl,
        jobs: settings.expiring,
        leadMs,
        concurrency: EXPIRATION_WORKER_CONCURRENCY,
      });
    const referenceBefore = await bullmq(3_000);
    const stopExpiryCpu = await meterCpu();
    const expiry = await expireTogether({
      ordersDb,
      ordersPool,
      queue: expirationQueue,
      bus,
      ticketIds: expiringTickets,
      leadMs: settings.leadSeconds * 1000,
    });
    const expiryCpu = await stopExpiryCpu();
    const referenceAfter = await bullmq(3_000);

    const { rows: versions } = await admin.query<{ server_version: string }>('SHOW server_version');
    const redisInfo = String(await redis.info('server'));
    return {
      startedAt: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: {
        before: machineBefore,
        after: machineNow(),
        postgres: versions[0]!.server_version,
        nats: bus.nc.info?.version ?? '?',
        redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? '?',
      },
      buildSeconds,
      startupSeconds,
      readPath,
      sale: summarizeSale(rounds),
      expiry: {
        ...expiry,
        cpu: expiryCpu,
        reference: summarize([...referenceBefore, ...referenceAfter]),
        referenceRuns: [summarize(referenceBefore), summarize(referenceAfter)],
      },
    };
  } finally {
    signal.removeEventListener('abort', abort);
    for (const close of closers.reverse()) await close().catch(() => {});
    await system.stop();
  }
}

function summarizeSale(rounds: SaleRound[]) {
  const side = (pick: (r: SaleRound) => SaleSide) => {
    const sides = rounds.map(pick);
    const seconds = sides.reduce((sum, s) => sum + s.seconds, 0);
    const created = sides.reduce((sum, s) => sum + (s.statuses['201'] ?? 0), 0);
    return {
      requests: sides.reduce((sum, s) => sum + s.requests, 0),
      ordersPerSecond: created / seconds,
      latency: summarize(sides.flatMap((s) => s.latencies)),
    };
  };
  const perRound = rounds.map((r) => {
    const g = summarize(r.gateway.latencies);
    const ref = summarize(r.reference.latencies);
    return {
      ordersPerSecond: r.gateway.ordersPerSecond / r.reference.ordersPerSecond,
      p50: g.p50 / ref.p50,
      p99: g.p99 / ref.p99,
    };
  });
  const duringSale = summarize(rounds.flatMap((r) => r.gateway.propagation ?? []));
  const idle = summarize(rounds.flatMap((r) => r.idlePropagation));
  return {
    rounds: rounds.map((r) => ({
      gateway: withoutSamples(r.gateway),
      reference: withoutSamples(r.reference),
      idlePropagation: summarize(r.idlePropagation),
    })),
    gateway: side((r) => r.gateway),
    reference: side((r) => r.reference),
    ratio: {
      ordersPerSecond: median(perRound.map((p) => p.ordersPerSecond)),
      p50: median(perRound.map((p) => p.p50)),
      p99: median(perRound.map((p) => p.p99)),
    },
    propagation: {
      duringSale,
      idle,
      ratio: { p50: duringSale.p50 / idle.p50, p99: duringSale.p99 / idle.p99 },
    },
  };
}

function withoutSamples({ latencies, propagation, ...rest }: SaleSide) {
  return {
    ...rest,
    latency: summarize(latencies),
    ...(propagation ? { propagation: summarize(propagation) } : {}),
  };
}
