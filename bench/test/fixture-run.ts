import type { CpuUsage } from '../harness/cpu.js';
import type { Machine } from '../harness/machine.js';
import { summarize } from '../harness/stats.js';
import type { BenchSettings } from '../phases.js';
import type { BenchResults, OverloadStep } from '../results.js';

/** A small, repeatable run of every phase: what `npm run bench` saves, with made-up samples. */
export function fixtureRun(
  options: { overload?: OverloadStep[]; overloadCapacity?: OverloadStep } = {},
) {
  let seed = 19;
  // Deterministic pseudo-random numbers (an LCG): the same fixture every time.
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  /** `n` latencies around `median` ms with a long right tail. */
  const samples = (n: number, median: number) =>
    Array.from({ length: n }, () => median * Math.exp((random() - 0.5) * 2) ** 1.5);
  const cpu: CpuUsage = { seconds: 1, machine: 0.8, cores: { gateway: 0.5, postgres: 0.3 } };
  const machine: Machine = {
    cpus: 2,
    cpuModel: 'test CPU',
    memoryGiB: 24,
    node: 'v20.0.0',
    load: [1, 1, 1],
    otherNodeProcesses: 0,
  };
  const readTarget = (
    target: BenchResults['readPath'][number]['target'],
    n: number,
    medianMs: number,
  ) => ({
    target,
    requests: n,
    perSecond: n / 4,
    perSecondByRound: [n / 4 - 30, n / 4 + 10, n / 4 - 5, n / 4 + 25],
    latency: summarize(samples(n, medianMs)),
    ratio: { perSecond: 1, p50: 1, p99: 1 },
    non2xx: 0,
    cpu: cpu.cores,
    machineBusy: cpu.machine,
  });
  const saleSide = (n: number, seconds: number, medianMs: number) => ({
    requests: n,
    seconds,
    latency: summarize(samples(n, medianMs)),
    statuses: { '201': 20, '400': n - 20 },
    rejections: { '400 Ticket is already reserved': n - 20 },
    ordersPerSecond: 20 / seconds,
    proof: { orders: 20, ticketsWithAnOrder: 20, ticketsOrderedTwice: 0, orderCreatedEvents: 20 },
    cpu,
  });
  const rounds = [
    { gateway: saleSide(201, 0.4, 140), reference: saleSide(201, 0.1, 40) },
    { gateway: saleSide(199, 0.35, 130), reference: saleSide(199, 0.09, 35) },
  ].map((round) => ({
    gateway: { ...round.gateway, propagation: summarize(samples(21, 16)) },
    reference: round.reference,
    idlePropagation: summarize(samples(20, 4)),
  }));
  const pooled = (side: 'gateway' | 'reference', medianMs: number) => ({
    requests: 400,
    ordersPerSecond: 40 / rounds.reduce((sum, r) => sum + r[side].seconds, 0),
    latency: summarize(samples(400, medianMs)),
  });
  const results: BenchResults = {
    startedAt: '2026-12-01T10:00:00.000Z',
    seconds: 60,
    machine: { before: machine, after: machine, postgres: '15', nats: '2.9.10', redis: '7.0' },
    buildSeconds: 5,
    startupSeconds: 2,
    readPath: [
      readTarget('reference', 2_501, 0.6),
      readTarget('tickets', 1_703, 0.9),
      readTarget('referenceProxy', 1_502, 1.1),
      readTarget('gateway', 999, 2.1),
    ],
    sale: {
      rounds,
      gateway: pooled('gateway', 135),
      reference: pooled('reference', 38),
      ratio: { ordersPerSecond: 0.27, p50: 3.8, p99: 3.3 },
      propagation: {
        duringSale: summarize(samples(41, 16)),
        idle: summarize(samples(40, 4)),
        ratio: { p50: 4, p99: 9 },
      },
    },
    expiry: {
      orders: 300,
      placedInSeconds: 3,
      movedAheadMs: 15_000,
      fired: summarize(samples(300, 700)),
      stored: summarize(samples(300, 701)),
      cancelled: summarize(samples(299, 2400)),
      cancelledInDb: 300,
      cpu,
      reference: summarize(samples(600, 140)),
      referenceRuns: [summarize(samples(300, 140)), summarize(samples(300, 141))],
    },
    ...(options.overload ? { overload: options.overload } : {}),
    ...(options.overloadCapacity ? { overloadCapacity: options.overloadCapacity } : {}),
  };
  const settings: BenchSettings = {
    mode: 'dist',
    build: true,
    buyers: 200,
    tickets: 20,
    connections: 10,
    rounds: 2,
    read: { connections: 10, seconds: 1, rounds: 4 },
    probeRate: 20,
    idleProbeSeconds: 1,
    expiring: 300,
    leadSeconds: 10,
    logLevel: 'info',
    label: 'fixture',
  };
  return { command: 'npm run bench -- --label fixture', settings, results };
}
