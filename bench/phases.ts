import type { ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '@gittix/common';
import { testInfra, testLogger, testRunId, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { buildServices } from '../scripts/system/build.js';
import { hasExited, stopChild } from '../scripts/system/children.js';
import { spawnService, waitUntilReady } from '../scripts/system/launch.js';
import { freePort } from '../scripts/system/network.js';
import { eventsProcessOf, repoRoot, services } from '../scripts/system/services.js';
import { isolatedSettings, type RunningSystem, startSystem } from '../scripts/system/system.js';
import { expireTogether } from './expiry/burst.js';
import { bareBullmqBurst } from './expiry/reference.js';
import { attemptsFor } from './flash-sale/buyers.js';
import { raceThroughGateway } from './flash-sale/race.js';
import {
  createReferenceDatabase,
  raceAgainstPostgres,
  seedReferenceTickets,
} from './flash-sale/reference.js';
import { runSaleRounds } from './flash-sale/rounds.js';
import { listTicketsForEvent, listTicketsForSale, postEvent, waitForRows } from './harness/api.js';
import { cpuMeter, systemProcessGroups } from './harness/cpu.js';
import { openExpirationQueue } from './harness/expiration-queue.js';
import { machineNow, pidsNamed } from './harness/machine.js';
import { signSessions } from './harness/sessions.js';
import { now, summarize } from './harness/stats.js';
import { measureOverload, type OverloadSettings, overloadProbes } from './overload/measure.js';
import { startPropagationProbe } from './propagation/probe.js';
import { installProbeTriggers } from './propagation/triggers.js';
import { measureReadPath } from './read-path/measure.js';
import { EARLIER_WORKER_CONCURRENCY, type PhaseResults } from './results.js';

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
  /**
   * The expiration service's EXPIRATION_WORKER_CONCURRENCY; the bare BullMQ reference
   * gets the same. Absent in results saved before it was a setting: 50 then.
   */
  workerConcurrency?: number;
  logLevel: string;
  label: string;
  /** The phases to run (`--only`); all of them when unset. */
  only?: BenchPhase[];
  /** Services run with `node --cpu-prof` (`--cpu-prof`), each writing `<dir>/<service>.cpuprofile` on exit. */
  cpuProf?: { services: string[]; dir: string };
  /** The overload phase (bench/overload); absent: not run. */
  overload?: OverloadSettings;
  /** Fresh tickets per overload step (the buyers race for them as in the sale). */
  overloadTickets?: number;
  /**
   * Services whose events are consumed by a process of their own (`--consumers-apart`):
   * the service runs with CONSUME_EVENTS=false and `<service>-events` beside it consumes.
   */
  consumersApart?: string[];
}

/** The benchmark's phases, each runnable alone with `--only` (propagation runs inside the sale). */
export const BENCH_PHASES = ['read', 'list', 'sale', 'expiry', 'overload'] as const;
export type BenchPhase = (typeof BENCH_PHASES)[number];

/** The node flags that make each profiled service write `<dir>/<service>.cpuprofile` when it exits. */
export function cpuProfArgs(cpuProf: BenchSettings['cpuProf']): Record<string, string[]> {
  if (!cpuProf) return {};
  return Object.fromEntries(
    cpuProf.services.map((service) => [
      service,
      ['--cpu-prof', `--cpu-prof-dir=${cpuProf.dir}`, `--cpu-prof-name=${service}.cpuprofile`],
    ]),
  );
}

/** GitTix without the web app: what the benchmark measures. */
const SERVICES = ['gateway', 'tickets', 'orders', 'expiration', 'payments', 'auth'];
/** The orders service's pool (createDb's default): the reference transaction gets the same. */
const ORDERS_POOL_SIZE = 10;
/** Tickets of the read-path list's event: two pages of the default 100. */
const EVENT_TICKETS = 200;

export async function runBench(
  settings: BenchSettings,
  { say, signal }: { say: (line: string) => void; signal: AbortSignal },
): Promise<PhaseResults> {
  const runs = (phase: BenchPhase) => !settings.only || settings.only.includes(phase);
  const workerConcurrency = settings.workerConcurrency ?? EARLIER_WORKER_CONCURRENCY;
  const startedAt = new Date();
  const machineBefore = machineNow();
  say(`machine: ${machineBefore.cpus} CPUs, load ${machineBefore.load.join(' ')}`);
  let buildSeconds: number | undefined;
  if (settings.mode === 'dist' && settings.build) {
    say('building the services (tsc -b and bundles, incremental)…');
    const t = now();
    buildServices();
    buildSeconds = (now() - t) / 1000;
  }

  // Every database, stream, subject and queue of the system is named gx_<run>_sys_….
  const name = uniqueName('sys');
  const logDir = join(repoRoot, 'test-output', 'bench', testRunId());
  say(`starting GitTix (${settings.mode}, logs in ${logDir})…`);
  if (settings.cpuProf) await mkdir(settings.cpuProf.dir, { recursive: true });
  const t0 = now();
  const system = await startSystem({
    mode: settings.mode,
    only: SERVICES,
    // Each service writes its log straight to a file: piped through this process,
    // the services' request logs would cost the load generator CPU.
    logDir,
    nodeArgs: cpuProfArgs(settings.cpuProf),
    env: Object.fromEntries(
      (settings.consumersApart ?? []).map((service) => [service, { CONSUME_EVENTS: 'false' }]),
    ),
    settings: await isolatedSettings({
      infra: testInfra,
      name,
      logLevel: settings.logLevel,
      // Orders placed by the sale must not expire while the benchmark runs.
      orderExpirationSeconds: 3600,
      // The sandbox provider is all a benchmark can pay with (payments refuses it in production otherwise).
      extraEnv: {
        NODE_ENV: 'production',
        PAYMENTS_SANDBOX_IN_PRODUCTION: 'true',
        EXPIRATION_WORKER_CONCURRENCY: String(workerConcurrency),
      },
    }),
  });
  const startupSeconds = (now() - t0) / 1000;
  const abort = () => void system.stop();
  signal.addEventListener('abort', abort);
  const closers: Array<() => Promise<unknown>> = [];
  const consumerPids: Record<string, number[]> = {};
  let succeeded = false;
  try {
    for (const service of settings.consumersApart ?? []) {
      const events = await startConsumersProcess(system, service, {
        mode: settings.mode,
        logDir,
        // Its own profile beside the service's (`<service>-events.cpuprofile`).
        nodeArgs: (cpuProfArgs(settings.cpuProf)[service] ?? []).map((arg) =>
          arg.replace(`${service}.cpuprofile`, `${eventsProcessOf(service)}.cpuprofile`),
        ),
      });
      closers.push(() => stopChild(events));
      consumerPids[service] = [events.pid!];
      say(
        `${service}: its events are consumed by ${eventsProcessOf(service)}, a process of its own`,
      );
    }
    // Pools of the benchmark's own; an idle connection dropped by the server must
    // not crash the run (pg emits 'error' on the pool then).
    const pool = (url: string, max = 3) => {
      const p = new pg.Pool({ connectionString: url, max });
      p.on('error', () => {});
      closers.push(() => p.end());
      return p;
    };
    const ticketsPool = pool(system.databaseUrl('tickets'));
    const ordersPool = pool(system.databaseUrl('orders'));
    const admin = pool(`${testInfra.postgresUrl}/postgres`, 1);
    const referenceUrl = `${testInfra.postgresUrl}/${uniqueName('reference')}`;
    await createReferenceDatabase(referenceUrl);
    const referencePool = pool(referenceUrl, ORDERS_POOL_SIZE);
    const bus = await EventBus.connect({
      url: system.settings.natsUrl,
      stream: system.settings.stream,
      subjectPrefix: system.settings.subjectPrefix,
      name: 'bench',
      logger: testLogger,
    });
    closers.push(() => bus.close());
    const expirations = openExpirationQueue(system.settings.redisUrl, system.settings.queuePrefix);
    closers.push(() => expirations.close());

    const infraPids = { nats: pidsNamed('nats-server'), redis: pidsNamed('redis-server') };
    const groups = systemProcessGroups({
      admin,
      databasePrefix: `gx_${testRunId()}_`,
      services: SERVICES,
      pidOf: (service) => system.pidOf(service),
      infra: infraPids,
      also: consumerPids,
    });
    const meterCpu = (extra: Record<string, number[]> = {}) =>
      cpuMeter(async () => ({ ...(await groups()), ...extra })).start();

    say('signing sessions and listing tickets through the gateway…');
    const [seller] = await signSessions(system.settings.jwt.privateKeyPem, 1, 'seller');
    const buyers = await signSessions(system.settings.jwt.privateKeyPem, settings.buyers, 'buyer');
    const title = (what: string) => (_: unknown, i: number) => `${what} ${i}`;
    // The read path reads the first round's tickets; a run without it or the sale lists none.
    const saleTitles = Array.from(
      { length: runs('sale') || runs('read') ? settings.rounds * settings.tickets + 20 : 0 },
      title('Seat'),
    );
    const expiringTitles = Array.from(
      { length: runs('expiry') ? settings.expiring : 0 },
      title('Expiring seat'),
    );
    // The overload phase: one list for its capacity run, one per offered multiple.
    const overloadLists =
      settings.overload && runs('overload') ? settings.overload.multiples.length + 1 : 0;
    const overloadTitles = Array.from(
      { length: overloadLists * (settings.overloadTickets ?? 100) },
      title('Overload seat'),
    );
    const listed = await listTicketsForSale(system.baseUrl, seller!, [
      ...saleTitles,
      ...expiringTitles,
      ...overloadTitles,
    ]);
    const warmUpTickets = listed.slice(0, 20);
    const saleTickets = Array.from({ length: settings.rounds }, (_, r) =>
      listed.slice(20 + r * settings.tickets, 20 + (r + 1) * settings.tickets),
    );
    const expiringTickets = listed.slice(
      saleTitles.length,
      saleTitles.length + expiringTitles.length,
    );
    const overloadTickets = listed.slice(saleTitles.length + expiringTitles.length);
    const perList = settings.overloadTickets ?? 100;
    const overloadTicketLists = Array.from({ length: overloadLists }, (_, i) =>
      overloadTickets.slice(i * perList, (i + 1) * perList),
    );
    await waitForRows(ordersPool, 'tickets', listed, 'listed tickets in the orders replica');
    await installProbeTriggers(ticketsPool, ordersPool);
    signal.throwIfAborted();

    // 1. Read path.
    let readPath: PhaseResults['readPath'];
    if (runs('read')) {
      say('read path: GET /api/tickets/:id, reference / tickets / gateway…');
      readPath = await measureReadPath(
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
    }

    // 1b. Read path, a list: one event's tickets cheapest first (a page of 100 of 200).
    let readList: PhaseResults['readList'];
    if (runs('list')) {
      say('read path: GET /api/tickets?eventId=…&sort=price, reference / tickets / gateway…');
      const eventId = await postEvent(system.baseUrl, seller!, `Bench show ${uniqueName('show')}`);
      await listTicketsForEvent(system.baseUrl, seller!, eventId, EVENT_TICKETS);
      readList = await measureReadPath(
        {
          ticketsUrl: system.urlOf('tickets'),
          gatewayUrl: system.baseUrl,
          ticketsDatabaseUrl: system.databaseUrl('tickets'),
          ticketIds: [],
          meterCpu,
          say,
        },
        settings.read,
        { path: () => `/api/tickets?eventId=${eventId}&sort=price` },
      );
      signal.throwIfAborted();
    }

    // 2 and 3. Flash sale with ticket.created propagation measured during it.
    let sale: PhaseResults['sale'];
    if (runs('sale')) {
      const probe = await startPropagationProbe({
        baseUrl: system.baseUrl,
        seller: seller!,
        ticketsDatabaseUrl: system.databaseUrl('tickets'),
        ordersDatabaseUrl: system.databaseUrl('orders'),
        rate: settings.probeRate,
        bus,
      });
      closers.push(() => probe.stop());
      say('flash sale warm-up (200 buyers, 20 tickets, both sides)…');
      const warmUpBuyers = buyers.slice(0, 200);
      await raceThroughGateway(system.baseUrl, attemptsFor(warmUpBuyers, warmUpTickets), 50);
      await raceAgainstPostgres(
        referencePool,
        attemptsFor(warmUpBuyers, await seedReferenceTickets(referencePool, 20)),
        50,
      );

      sale = await runSaleRounds({
        baseUrl: system.baseUrl,
        buyers,
        saleTickets,
        connections: settings.connections,
        idleProbeSeconds: settings.idleProbeSeconds,
        pools: { orders: ordersPool, tickets: ticketsPool, reference: referencePool },
        probe,
        meterCpu,
        say,
        signal,
      });
    }

    // 4. Expiry burst, bracketed by the bare BullMQ reference.
    let expiry: PhaseResults['expiry'];
    if (runs('expiry')) {
      say(`expiry: bare BullMQ, then ${settings.expiring} orders due together, then BullMQ again…`);
      const bullmq = (leadMs: number, concurrency = workerConcurrency) =>
        bareBullmqBurst({
          redisUrl: system.settings.redisUrl,
          jobs: settings.expiring,
          leadMs,
          concurrency,
        });
      // Bare BullMQ is fastest at the earlier concurrency (it fetches all of a higher
      // one's jobs before running the first): run there too, so the report shows both.
      const alsoEarlier = workerConcurrency !== EARLIER_WORKER_CONCURRENCY;
      const earlierBefore = alsoEarlier ? await bullmq(3_000, EARLIER_WORKER_CONCURRENCY) : [];
      const referenceBefore = await bullmq(3_000);
      const burst = await expireTogether({
        baseUrl: system.baseUrl,
        // Buyers of their own: the sale's winners still hold open orders, and a buyer
        // may hold only MAX_OPEN_ORDERS_PER_USER (5) at once.
        buyers: await signSessions(
          system.settings.jwt.privateKeyPem,
          expiringTickets.length,
          'expiring',
        ),
        ticketIds: expiringTickets,
        ordersPool,
        expirations,
        bus,
        leadMs: settings.leadSeconds * 1000,
        meterCpu: () => meterCpu(),
      });
      const referenceAfter = await bullmq(3_000);
      const earlierAfter = alsoEarlier ? await bullmq(3_000, EARLIER_WORKER_CONCURRENCY) : [];
      expiry = {
        ...burst,
        reference: summarize([...referenceBefore, ...referenceAfter]),
        referenceRuns: [summarize(referenceBefore), summarize(referenceAfter)],
        ...(alsoEarlier
          ? { referenceAtEarlier: summarize([...earlierBefore, ...earlierAfter]) }
          : {}),
      };
    }
    signal.throwIfAborted();

    // 5. Overload: capacity, then 1×, 2×, 5× of it offered open-loop (bench/overload).
    let overload: Awaited<ReturnType<typeof measureOverload>> | undefined;
    if (settings.overload && runs('overload')) {
      say(
        `overload: capacity, then ${settings.overload.multiples.join('×, ')}× of it for ${settings.overload.seconds} s each…`,
      );
      overload = await measureOverload(
        {
          baseUrl: system.baseUrl,
          // Buyers of their own: none holds an order from the sale (5 open orders each at most).
          buyers: await signSessions(system.settings.jwt.privateKeyPem, settings.buyers, 'crowd'),
          ticketLists: overloadTicketLists,
          ordersPool,
          say,
          meterCpu: () => meterCpu(),
          ...overloadProbes((service) => system.urlOf(service)),
        },
        settings.overload,
      );
    }

    const { rows: versions } = await admin.query<{ server_version: string }>('SHOW server_version');
    const redisInfo = await expirations.redis.info('server');
    succeeded = true;
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
      ...(readPath ? { readPath } : {}),
      ...(readList ? { readList } : {}),
      ...(sale ? { sale } : {}),
      ...(expiry ? { expiry } : {}),
      ...(overload ? { overload: overload.steps, overloadCapacity: overload.capacity } : {}),
    };
  } finally {
    signal.removeEventListener('abort', abort);
    for (const close of closers.reverse()) await close().catch(() => {});
    await system.stop();
    // Logs at info level are ~50 MB a run: kept only when something went wrong.
    if (succeeded) await rm(logDir, { recursive: true, force: true });
    else say(`service logs kept in ${logDir}`);
  }
}

/**
 * Starts `<service>-events`: the service's consumers in a process of their own (the
 * system's `<service>` runs with CONSUME_EVENTS=false), on a spare port, once ready.
 */
async function startConsumersProcess(
  system: RunningSystem,
  service: string,
  { mode, logDir, nodeArgs }: { mode: 'dist' | 'source'; logDir: string; nodeArgs: string[] },
): Promise<ChildProcess> {
  const spec = services.find((s) => s.name === service);
  if (!spec) throw new Error(`--consumers-apart: no service ${service}`);
  const processName = eventsProcessOf(service);
  system.settings.ports[processName] = await freePort();
  const child = spawnService(spec, system.settings, {
    mode,
    output: { logDir },
    nodeArgs,
    processName,
  });
  try {
    await waitUntilReady([{ spec, name: processName }], system.settings, 120_000, () =>
      hasExited(child) ? `${processName} exited (${child.exitCode})` : undefined,
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return child;
}
