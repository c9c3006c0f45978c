/**
 * `npm run bench:ordered`: the prototype of docs/decisions/ordered-consumers.md.
 * Publishes created→cancelled pairs for many tickets to a stream of its own on the
 * machine's NATS and consumes them (1) with the family consumer through injected
 * failures, poison events, a restart, a crash, a second process, and with today's
 * per-subject consumers, counting ordering violations per key; (2) today's consumers
 * and the family consumer (a queue per key, and hash lanes) in rotating rounds, with
 * and without transient failures, for throughput.
 * Writes REPORT.md beside this file.
 *
 *   npm run bench:ordered -- [--keys 2000] [--batch 7] [--far-batch 300] [--cost-ms 2] [--concurrency 4] [--rounds 7]
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { testInfra, testRunId } from '@gittix/common/testing';
import { dropRunData } from '../../../scripts/system/run-data.js';
import { machineNow } from '../../harness/machine.js';
import { type RoundResult, renderReport, type ScenarioRow } from './report.js';
import {
  type Interruption,
  runScenario,
  type ScenarioSettings,
  type Variant,
} from './scenarios.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '7' },
    'far-batch': { type: 'string', default: '300' },
    'cost-ms': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '7' },
    'transient-rate': { type: 'string', default: '0.02' },
    'poison-every': { type: 'string', default: '250' },
    'ack-wait-ms': { type: 'string', default: '3000' },
    report: { type: 'string', default: new URL('./REPORT.md', import.meta.url).pathname },
  },
});
process.env.GITTIX_TEST_RUN ??= `bench${randomBytes(3).toString('hex')}`;
const say = (line: string) => process.stderr.write(`[ordered] ${line}\n`);

const base: Omit<ScenarioSettings, 'variant' | 'interruption' | 'faults'> = {
  keys: Number(args.keys),
  batch: Number(args.batch),
  costMs: Number(args['cost-ms']),
  concurrency: Number(args.concurrency),
  ackWaitMs: Number(args['ack-wait-ms']),
  timeoutMs: 180_000,
};
const transient = { transientRate: Number(args['transient-rate']), poisonEvery: 0 };
const faulty = { ...transient, poisonEvery: Number(args['poison-every']) };

const near = Number(args.batch);
const far = Number(args['far-batch']);
// Near: a key's two events a few apart (back to back in spirit); far: hundreds apart, as
// when an order is cancelled minutes after it was placed.
const orderingCases: [Variant, Interruption, number][] = [
  ['family-by-key', 'none', near],
  ['family-by-key', 'restart', near],
  ['family-by-key', 'crash', near],
  ['family-by-key', 'crash', far],
  ['family-by-key', 'crash-no-rewind', near],
  ['family-by-key', 'crash-no-rewind', far],
  ['family-by-key', 'two-instances', near],
  ['family-by-lane', 'none', near],
  ['per-subject', 'none', near],
  ['per-subject', 'none', far],
];
const variants: Variant[] = ['per-subject', 'family-by-key', 'family-by-lane'];

const command = ['npm run bench:ordered', ...process.argv.slice(2)].join(' ');
const before = machineNow();
try {
  const ordering: ScenarioRow[] = [];
  for (const [variant, interruption, batch] of orderingCases) {
    say(`ordering: ${variant}, ${interruption}, batches of ${batch}`);
    const result = await runScenario({ ...base, batch, variant, interruption, faults: faulty });
    ordering.push({ variant, interruption, batch, result });
  }

  const rounds: RoundResult[] = [];
  for (let round = 1; round <= Number(args.rounds); round++) {
    // Rotate which variant goes first, so a load change within a round hits all alike.
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const [workload, faults] of [
      ['clean', { transientRate: 0, poisonEvery: 0 }],
      ['transient failures', transient],
    ] as const) {
      for (const variant of order) {
        say(`throughput round ${round}: ${variant}, ${workload}`);
        const result = await runScenario({ ...base, variant, interruption: 'none', faults });
        rounds.push({ round, workload, variant, result });
      }
    }
  }

  const report = renderReport({
    command,
    date: new Date(),
    machine: { before, after: machineNow() },
    settings: { ...base, transientRate: transient.transientRate, poisonEvery: faulty.poisonEvery },
    ordering,
    rounds,
  });
  await writeFile(args.report, report);
  say(`wrote ${args.report}`);
} finally {
  await dropRunData(`gx_${testRunId()}_`, testInfra).catch((error) =>
    say(`cleanup failed: ${String(error)}`),
  );
}
