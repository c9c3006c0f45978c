import { count, markdownTable, ms, ratio } from '../harness/markdown.js';
import type { BenchResults, OverloadStep } from '../results.js';

/** The target: at 5× capacity, goodput ≥ 0.9 × capacity. */
export const GOODPUT_TARGET = 0.9;

/** Goodput of a step as a multiple of the capacity measured in the same run. */
export const goodputRatio = (step: OverloadStep, capacity: OverloadStep): number =>
  step.goodputPerSecond / (capacity.capacityPerSecond ?? capacity.goodputPerSecond);

/** `gateway in_flight 64,008; gateway latency 1,307`, most first; `–` when not read. */
export function refusedByText(refusedBy: Record<string, number> | undefined): string {
  if (!refusedBy) return '–';
  const entries = Object.entries(refusedBy).sort(([, a], [, b]) => b - a);
  if (entries.length === 0) return 'none';
  return entries.map(([who, n]) => `${who} ${count(n)}`).join('; ');
}

/** One row per offered load: the capacity run first, then each multiple of it. */
export function overloadTable(capacity: OverloadStep, steps: OverloadStep[]): string {
  const row = (name: string, step: OverloadStep, offered: string) => [
    name,
    offered,
    count(step.sent ?? 0),
    `${count(step.goodputPerSecond)}/s`,
    ratio(goodputRatio(step, capacity)),
    ms(step.admittedP99),
    count(step.refused ?? 0),
    refusedByText(step.refusedBy),
    step.refusedP99 === undefined ? '–' : ms(step.refusedP99),
    count(step.otherServerErrors ?? 0),
    count(step.created ?? 0),
    count(step.oversold ?? 0),
  ];
  return markdownTable([
    [
      'offered',
      'req/s offered',
      'sent',
      'goodput',
      '÷ capacity',
      'p99 admitted',
      '503 + Retry-After',
      'refused by (instance, limit)',
      'p99 refused',
      'other 5xx, errors, timeouts',
      'orders created',
      'tickets sold twice',
    ],
    row('capacity (closed loop)', capacity, '–'),
    ...steps.map((step) =>
      row(`${step.multiple ?? '?'}× capacity`, step, `${count(step.offeredPerSecond)}/s`),
    ),
  ]);
}

/** The process groups the overload phase loads: the flash sale's path and the load generator. */
const CPU_GROUPS = ['gateway', 'orders', 'tickets', 'auth', 'postgres', 'nats', 'bench'] as const;

/**
 * Who spent the CPU during each step: cores (1 = one core busy), and µs of CPU per
 * request sent for the gateway (it refuses) and the load generator (`bench`, this
 * process), the two costs that grow with the offered load rather than the goodput.
 * Then the kernel's side: the most connections waiting for the gateway to accept
 * them, time no admission limit sees, and handshakes dropped on a full queue (the
 * client retries those 1, 3, 7 s later).
 */
export function overloadCpuTable(capacity: OverloadStep, steps: OverloadStep[]): string {
  const all = [capacity, ...steps].filter((step) => step.cpu);
  if (all.length === 0) return '';
  const perRequest = (step: OverloadStep, group: string) => {
    const cores = step.cpu?.cores[group];
    const sent = step.sent ?? 0;
    if (cores === undefined || sent === 0 || !step.cpu) return '–';
    return `${Math.round((cores * step.cpu.seconds * 1e6) / sent)} µs`;
  };
  return markdownTable([
    [
      'offered',
      'machine busy',
      ...CPU_GROUPS.map((group) => (group === 'bench' ? 'load generator' : group)),
      'gateway per request sent',
      'load generator per request sent',
      'waiting to be accepted by the gateway, most',
      'listen queue overflows',
    ],
    ...all.map((step) => [
      step.multiple ? `${step.multiple}× capacity` : 'capacity (closed loop)',
      `${Math.round((step.cpu?.machine ?? 0) * 100)} %`,
      ...CPU_GROUPS.map((group) => step.cpu?.cores[group]?.toFixed(2) ?? '–'),
      perRequest(step, 'gateway'),
      perRequest(step, 'bench'),
      step.listen ? count(step.listen.maxAcceptQueue) : '–',
      step.listen ? count(step.listen.overflows) : '–',
    ]),
  ]);
}

/**
 * Requests of every step answered with neither an answer below 500 nor a 503 refusal:
 * other 5xx, connection errors and requests unanswered at the client's deadline.
 */
export function overloadFailures(steps: readonly OverloadStep[]): number {
  return steps.reduce((sum, s) => sum + (s.otherServerErrors ?? 0), 0);
}

/** The summary's line for the target, when the run had an overload phase. */
export function overloadSummaryRow(
  r: Pick<BenchResults, 'overload' | 'overloadCapacity'>,
): string[] | undefined {
  const capacity = r.overloadCapacity;
  const top = r.overload?.at(-1);
  if (!capacity || !top) return undefined;
  const failures = overloadFailures(r.overload ?? []);
  const oversold = (r.overload ?? []).reduce((sum, s) => sum + (s.oversold ?? 0), 0);
  // Failures are other 5xx, connection errors and requests unanswered at the client's
  // deadline: said apart, so a timeout is not read as a server error.
  const counted = (key: 'timeout' | 'error') =>
    (r.overload ?? []).reduce((sum, s) => sum + (s.statuses?.[key] ?? 0), 0);
  const timeouts = counted('timeout');
  const errors = counted('error');
  const failureText = [
    `${failures - timeouts - errors} other 5xx`,
    ...(errors > 0 ? [`${count(errors)} connection errors`] : []),
    ...(timeouts > 0 ? [`${count(timeouts)} unanswered at the client's deadline`] : []),
  ].join(', ');
  return [
    `overload: goodput at ${top.multiple}× capacity, \`POST /api/orders\``,
    `${count(top.goodputPerSecond)} answers/s; p99 admitted ${ms(top.admittedP99)}; ${count(top.refused ?? 0)} refused (503 + Retry-After); ${failureText}; ${oversold} oversold`,
    `capacity ${count(capacity.capacityPerSecond ?? capacity.goodputPerSecond)} answers/s`,
    `${ratio(goodputRatio(top, capacity))} (target ≥ ${GOODPUT_TARGET})`,
  ];
}

/** REPORT.md's overload section; empty for a run without the phase. */
export function overloadSection(r: BenchResults, number: number): string {
  if (!r.overloadCapacity || !r.overload?.length) return '';
  const cpuTable = overloadCpuTable(r.overloadCapacity, r.overload);
  const cpu = cpuTable
    ? `\n\nCPU during each step, in cores of the machine's two (the load generator is the benchmark's own process), and the connections waiting in the gateway's accept queue (sampled every 250 ms: time no admission limit sees, bottlenecks §26) with the handshakes the machine dropped on a full one:\n\n${cpuTable}`
    : '';
  return `## ${number}. Overload: the flash sale past capacity

The sale's \`POST /api/orders\` through the gateway (a buyer orders one of 100 fresh
tickets; most lose the race), first in a closed loop to measure the capacity
(answers below 500 per second), then offered open-loop at fixed arrival rates of
multiples of it ([overload/](overload/measure.ts)). The open loop shares the two cores
with the system it loads, so it writes each request on a kept-alive socket itself
([open-loop.ts](overload/open-loop.ts), ~30 µs of CPU per request alone; bottlenecks
§26). Goodput: answers below 500 (201 won, 400 already reserved, 429 too many open
orders) per second after the first second. Past capacity the gateway and orders
refuse with 503 + \`Retry-After\` (admission control, docs/gateway.md); "refused by"
reads their \`http_requests_refused_total\` before and after each step, by the limit
that refused (\`in_flight\`, \`latency\`, \`queue\`): a refusal at the gateway is one
constant answer, one from orders has cost a whole proxied request. Anything else
5xx, a connection error or a timeout is a failure. Tickets sold twice are counted in the orders database.

${overloadTable(r.overloadCapacity, r.overload)}${cpu}`;
}
