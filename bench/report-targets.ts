import type { CpuUsage } from './harness/cpu.js';
import { count, markdownTable, ratio } from './harness/markdown.js';
import { GOODPUT_TARGET, goodputRatio, overloadFailures } from './overload/report.js';
import type { ReadTargetResult } from './read-path/measure.js';
import { EARLIER_WORKER_CONCURRENCY, type PhaseResults } from './results.js';

/** One target of issue 18, judged from one run's own figures. */
export interface TargetCheck {
  figure: string;
  /** What this run measured; `not run` when its phase was left out (`--only`). */
  measured: string;
  target: string;
  /** Undefined when the phase did not run. */
  met: boolean | undefined;
  /**
   * For a throughput target on this saturated machine: the whole machine's CPU per
   * request (load generator included), GitTix and its reference. Throughput then
   * goes as its inverse, so this says how far the cost is from the bound.
   */
  cpuPerRequest?: { gittix: number; reference: number };
}

const atLeast = (value: number, bound: number) => value >= bound;
const atMost = (value: number, bound: number) => value <= bound;

/** The machine's CPU per request in ms over sides that each ran `requests` in `cpu.seconds`. */
function cpuMsPerRequest(sides: Array<{ cpu: CpuUsage; requests: number }>, cpus: number): number {
  const cpuSeconds = sides.reduce((sum, s) => sum + s.cpu.machine * cpus * s.cpu.seconds, 0);
  return (cpuSeconds * 1000) / sides.reduce((sum, s) => sum + s.requests, 0);
}

/** Issue 18's targets, in its order, each against this run's ratio. */
export function targetChecks(r: PhaseResults): TargetCheck[] {
  const cpus = r.machine.before.cpus;
  const readCpu = (t: ReadTargetResult) => (t.machineBusy * cpus * 1000) / t.perSecond;
  const gateway = r.readPath?.find((t) => t.target === 'gateway');
  const readReference = r.readPath?.find((t) => t.target === 'reference');
  const { sale, expiry } = r;
  const checks: TargetCheck[] = [
    {
      figure: 'read through the gateway ÷ node:http + pg reference',
      target: '≥ 0.50×',
      measured: gateway ? ratio(gateway.ratio.perSecond) : 'not run',
      met: gateway ? atLeast(gateway.ratio.perSecond, 0.5) : undefined,
      ...(gateway && readReference
        ? { cpuPerRequest: { gittix: readCpu(gateway), reference: readCpu(readReference) } }
        : {}),
    },
    {
      figure: 'flash sale orders/s ÷ `createOrder` on Postgres',
      target: '≥ 0.50×',
      measured: sale ? ratio(sale.ratio.ordersPerSecond) : 'not run',
      met: sale ? atLeast(sale.ratio.ordersPerSecond, 0.5) : undefined,
      ...(sale
        ? {
            cpuPerRequest: {
              gittix: cpuMsPerRequest(
                sale.rounds.map((round) => round.gateway),
                cpus,
              ),
              reference: cpuMsPerRequest(
                sale.rounds.map((round) => round.reference),
                cpus,
              ),
            },
          }
        : {}),
    },
    {
      figure: '`ticket.created` propagation p99, sale ÷ idle',
      target: '≤ 3×',
      measured: sale ? ratio(sale.propagation.ratio.p99) : 'not run',
      met: sale ? atMost(sale.propagation.ratio.p99, 3) : undefined,
    },
    {
      figure: '1,000 expiries: cancelled p99 ÷ bare BullMQ p99 (same worker concurrency)',
      target: '≤ 5×',
      measured: expiry ? ratio(expiry.cancelled.p99 / expiry.reference.p99) : 'not run',
      met: expiry ? atMost(expiry.cancelled.p99 / expiry.reference.p99, 5) : undefined,
    },
  ];
  if (expiry?.referenceAtEarlier) {
    const stricter = expiry.cancelled.p99 / expiry.referenceAtEarlier.p99;
    checks.push({
      figure: `the same ÷ bare BullMQ at concurrency ${EARLIER_WORKER_CONCURRENCY}, its fastest (stricter)`,
      target: '≤ 5×',
      measured: ratio(stricter),
      met: atMost(stricter, 5),
    });
  }
  const capacity = r.overloadCapacity;
  const top = r.overload?.at(-1);
  if (capacity && top) {
    const steps = r.overload ?? [];
    const failures = overloadFailures(steps);
    const withoutRetryAfter = steps.reduce(
      // Runs saved before the header was counted say nothing about it.
      (sum, s) =>
        sum +
        (s.refusedWithRetryAfter === undefined ? 0 : (s.refused ?? 0) - s.refusedWithRetryAfter),
      0,
    );
    const goodput = goodputRatio(top, capacity);
    checks.push(
      {
        figure: `${top.multiple}× overload: goodput ÷ capacity measured in the same run`,
        target: `≥ ${GOODPUT_TARGET}×`,
        measured: ratio(goodput),
        met: atLeast(goodput, GOODPUT_TARGET),
      },
      {
        figure: 'overload: failures other than 503 with `Retry-After` (every step)',
        target: '0',
        measured: `${count(failures)} (other 5xx, connection errors, unanswered); ${count(withoutRetryAfter)} 503 without Retry-After`,
        met: failures === 0 && withoutRetryAfter === 0,
      },
    );
  } else {
    checks.push({
      figure: 'overload: goodput at 5× ÷ capacity',
      target: `≥ ${GOODPUT_TARGET}×`,
      measured: 'not run',
      met: undefined,
    });
  }
  return checks;
}

/**
 * REPORT.md's "Targets" section: each target met or not in this run, then the
 * hand-written account (bench/targets.md) of where each missed one's limit is and
 * what it would take. The last column is every process's CPU on the machine (the load
generator's too) per request, from the CPU tables above: on two busy cores a throughput
ratio can be no better than the inverse of that ratio allows.
 */
export function targetsSection(r: PhaseResults, notes: string): string {
  const checks = targetChecks(r);
  const verdict = (met: boolean | undefined) =>
    met === undefined ? 'not run' : met ? 'met' : '**not met**';
  const cpuCell = ({ cpuPerRequest: cpu }: TargetCheck) =>
    cpu
      ? `${cpu.gittix.toFixed(2)} ms ÷ ${cpu.reference.toFixed(2)} ms = ${ratio(cpu.gittix / cpu.reference)} (${ratio(cpu.reference / cpu.gittix)})`
      : '–';
  const table = markdownTable([
    [
      'issue 18 target',
      'this run',
      'bound',
      'verdict',
      'machine CPU per request or attempt, GitTix ÷ reference',
    ],
    ...checks.map((c) => [c.figure, c.measured, c.target, verdict(c.met), cpuCell(c)]),
  ]);
  const missed = checks.filter((c) => c.met === false).length;
  return `## Targets

${missed === 0 ? 'Every target that ran is met in this run.' : `${missed} of ${checks.length} targets are not met in this run.`} The verdicts are computed from the
figures above; what follows the table is written by hand from the profiles and A/B runs of
[bottlenecks.md](bottlenecks.md): for each target, where its limit is on this machine and
what it would take. The last column is the CPU of every process on the machine (the load
generator's too) per request, from the CPU tables below. When both sides keep the two cores
busy, throughput goes as its inverse, the ratio in brackets: what this much work per
request allows.

${table}
${notes.trim() ? `\n${notes.trim()}\n` : ''}`;
}
