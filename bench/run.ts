/**
 * `npm run bench`: GitTix under load, every figure measured side by side in one
 * run with its reference, so that it holds on a noisy shared machine:
 *   1. read path: GET /api/tickets/:id straight and through the gateway, against a
 *      bare node:http server running the same query with the same driver;
 *   2. flash sale: buyers racing for tickets through the gateway, against the same
 *      reservation transaction run straight on Postgres at the same concurrency;
 *   3. ticket.created → orders replica during the sale, against an idle system;
 *   4. orders expiring at one instant, against bare BullMQ firing as many jobs;
 *   5. overload: the sale's capacity, then 1×, 2×, 5× of it offered open-loop.
 * Writes bench/REPORT.md with its charts (bench/charts/*.svg) and
 * bench/results/<time>.json, prints a summary.
 *
 *   npm run bench -- [--mode dist|source] [--buyers 2000] [--tickets 200] [--rounds 4] …
 *   npm run bench -- --from bench/results/<file>.json   (re-render REPORT.md and its charts only)
 *   npm run bench -- --only sale --cpu-prof gateway,orders   (one phase, services profiled)
 *   npm run bench -- --consumers-apart none   (every service in one process; the default
 *     runs services.json's `consumersApart` services as deployed: API and consumers apart)
 *
 * Uses the machine's Postgres, NATS and Redis (TEST_POSTGRES_URL, TEST_NATS_URL,
 * TEST_REDIS_URL) under names `gx_bench<id>_…` that it drops at the end (Ctrl-C too).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { testInfra, testRunId } from '@gittix/common/testing';
import { dropRunData } from '../scripts/system/run-data.js';
import { services } from '../scripts/system/services.js';
import { BENCH_PHASES, type BenchPhase, type BenchSettings, runBench } from './phases.js';
import { writeCharts } from './plot/render.js';
import { renderReport, renderSummary } from './report.js';
import { benchCharts } from './report-charts.js';
import { type BenchResults, isComplete } from './results.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dist' },
    'skip-build': { type: 'boolean', default: false },
    buyers: { type: 'string', default: '2000' },
    tickets: { type: 'string', default: '200' },
    connections: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '4' },
    'read-connections': { type: 'string', default: '10' },
    'read-seconds': { type: 'string', default: '3' },
    'read-rounds': { type: 'string', default: '4' },
    'probe-rate': { type: 'string', default: '20' },
    'idle-probe-seconds': { type: 'string', default: '3' },
    expiring: { type: 'string', default: '1000' },
    'lead-seconds': { type: 'string', default: '20' },
    /** EXPIRATION_WORKER_CONCURRENCY of the expiration service and of the bare BullMQ reference. */
    'worker-concurrency': { type: 'string', default: '1000' },
    'log-level': { type: 'string', default: 'info' },
    /** The overload phase: seconds per step, offered multiples of capacity; --overload-seconds 0 skips it. */
    'overload-seconds': { type: 'string', default: '10' },
    'overload-multiples': { type: 'string', default: '1,2,5' },
    'overload-tickets': { type: 'string', default: '100' },
    /** The capacity run's closed loop: below ADMISSION_MIN_IN_FLIGHT (64), so it is never refused. */
    'overload-connections': { type: 'string', default: '50' },
    label: { type: 'string', default: '' },
    /** Phases to run, comma-separated (read,list,sale,expiry): results and summary only, no REPORT.md. */
    only: { type: 'string' },
    /** Services to run under `node --cpu-prof`, comma-separated; profiles in --cpu-prof-dir. */
    'cpu-prof': { type: 'string' },
    'cpu-prof-dir': { type: 'string', default: 'bench/profiles/raw' },
    /**
     * Services whose events a process of their own consumes (CONSUME_EVENTS), comma-separated,
     * or `none`; default: those services.json deploys so (`consumersApart`).
     */
    'consumers-apart': {
      type: 'string',
      default: services
        .filter((s) => s.consumersApart)
        .map((s) => s.name)
        .join(','),
    },
    /** Re-render the report and its charts from a saved results file instead of running. */
    from: { type: 'string' },
    report: { type: 'string', default: new URL('./REPORT.md', import.meta.url).pathname },
  },
});
// Every database, stream, subject and queue of this run starts with gx_<id>_ (uniqueName).
process.env.GITTIX_TEST_RUN ??= `bench${randomBytes(3).toString('hex')}`;

const settings: BenchSettings = {
  mode: args.mode === 'source' ? 'source' : 'dist',
  build: !args['skip-build'],
  buyers: Number(args.buyers),
  tickets: Number(args.tickets),
  connections: Number(args.connections),
  rounds: Number(args.rounds),
  read: {
    connections: Number(args['read-connections']),
    seconds: Number(args['read-seconds']),
    rounds: Number(args['read-rounds']),
  },
  probeRate: Number(args['probe-rate']),
  idleProbeSeconds: Number(args['idle-probe-seconds']),
  expiring: Number(args.expiring),
  leadSeconds: Number(args['lead-seconds']),
  workerConcurrency: Number(args['worker-concurrency']),
  logLevel: args['log-level'],
  label: args.label,
  ...(args.only ? { only: phasesOf(args.only) } : {}),
  ...(args['cpu-prof']
    ? {
        cpuProf: {
          services: args['cpu-prof'].split(',').map((s) => s.trim()),
          dir: resolve(args['cpu-prof-dir']),
        },
      }
    : {}),
  consumersApart: listOrNone(args['consumers-apart']),
  ...(Number(args['overload-seconds']) > 0
    ? {
        overload: {
          seconds: Number(args['overload-seconds']),
          multiples: args['overload-multiples'].split(',').map(Number),
          connections: Number(args['overload-connections']),
        },
        overloadTickets: Number(args['overload-tickets']),
      }
    : {}),
};

/** A comma-separated list; `none` or nothing: empty. */
function listOrNone(list: string): string[] {
  return list.trim() === 'none'
    ? []
    : list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

function phasesOf(list: string): BenchPhase[] {
  const phases = list.split(',').map((p) => p.trim());
  const unknown = phases.filter((p) => !(BENCH_PHASES as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new Error(`--only: unknown phase ${unknown.join(', ')} (${BENCH_PHASES.join(', ')})`);
  }
  return phases as BenchPhase[];
}

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const interrupted = new AbortController();
process.once('SIGINT', () => {
  say('interrupted: stopping and cleaning up…');
  interrupted.abort(new Error('interrupted'));
});

const command = [
  'npm run bench',
  ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
]
  .join(' ')
  .trim();
const CHARTS_FOLDER = 'charts';

async function writeReport(
  run: { command: string; settings: BenchSettings; results: BenchResults },
  resultsFile: string,
) {
  const bottlenecks = await readFile(new URL('./bottlenecks.md', import.meta.url), 'utf8').catch(
    () => '',
  );
  const targets = await readFile(new URL('./targets.md', import.meta.url), 'utf8').catch(() => '');
  // The charts go beside the report, in charts/, which its image links name.
  const charts = benchCharts(run.results);
  await writeCharts(join(dirname(args.report), CHARTS_FOLDER), charts);
  await writeFile(
    args.report,
    renderReport({ ...run, bottlenecks, targets, charts, chartsFolder: CHARTS_FOLDER }),
  );
  process.stdout.write(`${renderSummary(run.results)}\n`);
  say(`wrote ${args.report} and ${charts.length} charts from ${resultsFile}`);
}

if (args.from) {
  const {
    command: savedCommand,
    settings: savedSettings,
    ...results
  } = JSON.parse(await readFile(args.from, 'utf8'));
  await writeReport({ command: savedCommand, settings: savedSettings, results }, args.from);
} else {
  try {
    const results = await runBench(settings, { say, signal: interrupted.signal });
    const stamp = results.startedAt.replaceAll(':', '-').replace(/\..*/, '');
    const resultsDir = new URL('./results/', import.meta.url).pathname;
    await mkdir(resultsDir, { recursive: true });
    const resultsFile = join(
      resultsDir,
      `${stamp}${settings.label ? `-${settings.label}` : ''}.json`,
    );
    await writeFile(resultsFile, `${JSON.stringify({ command, settings, ...results }, null, 2)}\n`);
    if (isComplete(results)) await writeReport({ command, settings, results }, resultsFile);
    else {
      // Some phases only (--only): the summary of those, the report stays as it is.
      process.stdout.write(`${renderSummary(results)}\n`);
      say(`wrote ${resultsFile} (--only: ${args.report} left as it was)`);
    }
    if (settings.cpuProf) say(`CPU profiles in ${settings.cpuProf.dir}`);
  } catch (error) {
    if (interrupted.signal.aborted) process.exitCode = 130;
    else throw error;
  } finally {
    await dropRunData(`gx_${testRunId()}_`, testInfra).catch((error) =>
      say(`cleanup failed: ${String(error)}`),
    );
  }
}
