/**
 * `npm run bench:tracing`: what tracing costs on the read path. Two copies of the
 * read path (tickets and the gateway in front of it) run side by side, one with
 * tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT: the AlwaysOff sampler), one exporting
 * every span over OTLP/HTTP to an in-process sink that does not parse them, on
 * databases of their own seeded alike. GET /api/tickets/:id is sent in short
 * alternating bursts, the order rotating each round, so that whatever else loads
 * the machine hits both alike; each round's on/off ratio is kept and the medians
 * reported. Prints a markdown table and writes bench/results/tracing-<time>.json.
 *
 *   npm run bench:tracing -- [--mode dist|source] [--skip-build] [--connections 10]
 *                            [--seconds 3] [--rounds 4] [--tickets 50]
 *
 * Opt-in (not part of `npm run bench`): it starts two more systems. Uses the
 * machine's Postgres, NATS and Redis under names `gx_<run>_…`, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import { buildServices } from '../../scripts/system/build.js';
import { dropRunData } from '../../scripts/system/run-data.js';
import { repoRoot } from '../../scripts/system/services.js';
import { isolatedSettings, type RunningSystem, startSystem } from '../../scripts/system/system.js';
import { listTicketsForSale } from '../harness/api.js';
import { runLoad } from '../harness/load.js';
import { machineNow } from '../harness/machine.js';
import { signSessions } from '../harness/sessions.js';
import { median, summarize } from '../harness/stats.js';
import { type Burst, type CostRow, costRows, renderCostTable } from './report.js';
import { startOtlpSink } from './sink.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'dist' },
    'skip-build': { type: 'boolean', default: false },
    connections: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '4' },
    tickets: { type: 'string', default: '50' },
  },
});
process.env.GITTIX_TEST_RUN ??= `trc${randomBytes(3).toString('hex')}`;
const mode = args.mode === 'source' ? 'source' : 'dist';
const connections = Number(args.connections);
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const say = (line: string) => process.stderr.write(`[bench:tracing] ${line}\n`);

type Tracing = 'off' | 'on';
type Via = 'tickets' | 'gateway';

async function main(): Promise<void> {
  const machine = machineNow();
  say(`machine: ${machine.cpus} CPUs, load ${machine.load.join(' ')}`);
  if (mode === 'dist' && !args['skip-build']) {
    say('compiling the services to dist/ (tsc -b, incremental)…');
    buildServices();
  }
  const receiver = await startOtlpSink();
  const systems: Partial<Record<Tracing, RunningSystem>> = {};
  try {
    const logDir = join(repoRoot, 'test-output', 'bench-tracing', testRunId());
    for (const tracing of ['off', 'on'] as const) {
      say(`starting tickets and the gateway with tracing ${tracing}…`);
      systems[tracing] = await startSystem({
        mode,
        only: ['tickets', 'gateway'],
        logDir: join(logDir, tracing),
        settings: await isolatedSettings({
          infra: testInfra,
          name: uniqueName(`tr${tracing}`),
          logLevel: 'warn',
          extraEnv: {
            NODE_ENV: 'production',
            ...(tracing === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : {}),
          },
        }),
      });
    }
    const ticketIds: Record<Tracing, string[]> = { off: [], on: [] };
    for (const tracing of ['off', 'on'] as const) {
      const system = systems[tracing]!;
      const [seller] = await signSessions(system.settings.jwt.privateKeyPem, 1, 'seller');
      const titles = Array.from({ length: Number(args.tickets) }, (_, i) => `Traced seat ${i}`);
      ticketIds[tracing] = await listTicketsForSale(system.baseUrl, seller!, titles);
    }
    const urlOf = (tracing: Tracing, via: Via) =>
      via === 'gateway' ? systems[tracing]!.baseUrl : systems[tracing]!.urlOf('tickets');
    const burst = (tracing: Tracing, via: Via, burstSeconds: number) =>
      runLoad({
        url: urlOf(tracing, via),
        connections,
        seconds: burstSeconds,
        request: (n) => ({
          path: `/api/tickets/${ticketIds[tracing][n % ticketIds[tracing].length]}`,
        }),
      });
    const targets: Array<[Tracing, Via]> = [
      ['off', 'tickets'],
      ['on', 'tickets'],
      ['off', 'gateway'],
      ['on', 'gateway'],
    ];
    say('warming up (left out of every number)…');
    for (const [tracing, via] of targets) await burst(tracing, via, 1);
    const before = receiver.received();

    const bursts: Burst[] = [];
    for (let round = 0; round < rounds; round++) {
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
    // The exporter sends every 500 ms: give the last batch time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = receiver.received();
    const exported = { exports: after.exports - before.exports, bytes: after.bytes - before.bytes };
    const rows: CostRow[] = costRows(bursts, { median, summarize });
    const table = renderCostTable(rows);
    const results = {
      startedAt: new Date().toISOString(),
      machine,
      settings: { mode, connections, seconds, rounds, tickets: Number(args.tickets) },
      exported,
      rows,
    };
    const resultsDir = join(repoRoot, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const file = join(
      resultsDir,
      `tracing-${results.startedAt.replaceAll(':', '-').replace(/\..*/, '')}.json`,
    );
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `${table}\n\nExported while measuring (tracing on): ${exported.exports} OTLP requests, ${(exported.bytes / 1e6).toFixed(1)} MB\n`,
    );
    say(`wrote ${file}`);
  } finally {
    for (const system of Object.values(systems)) await system?.stop();
    await receiver.close();
    await dropRunData(`gx_${testRunId()}_`, testInfra).catch((error) =>
      say(`cleanup failed: ${String(error)}`),
    );
  }
}

await main();
