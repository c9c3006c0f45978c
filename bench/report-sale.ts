import { count, ms } from './harness/markdown.js';
import { ALL_ROUNDS, SALE_SIDE_NAMES } from './report-names.js';
import type { BenchResults, SaleSideTotal } from './results.js';

const SALE_SIDES = ['gateway', 'reference'] as const;

function statuses(s: Record<string, number>): string {
  return Object.entries(s)
    .map(([code, n]) => `${code} × ${count(n)}`)
    .join(', ');
}

type SaleSideResult = BenchResults['sale']['rounds'][number]['gateway'];

/** One side of the flash sale over every round: sums, and the latency of every buyer. */
function overAllRounds(sides: SaleSideResult[], all: SaleSideTotal): SaleSideResult {
  const sum = (pick: (s: SaleSideResult) => number) => sides.reduce((n, s) => n + pick(s), 0);
  const statuses: Record<string, number> = {};
  for (const s of sides)
    for (const [code, n] of Object.entries(s.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const checked = sides.every((s) => s.proof.reservedByWinner !== undefined);
  return {
    ...sides[0]!,
    seconds: sum((s) => s.seconds),
    requests: all.requests,
    ordersPerSecond: all.ordersPerSecond,
    latency: all.latency,
    statuses,
    proof: {
      orders: sum((s) => s.proof.orders),
      ticketsWithAnOrder: sum((s) => s.proof.ticketsWithAnOrder),
      ticketsOrderedTwice: sum((s) => s.proof.ticketsOrderedTwice),
      orderCreatedEvents: sum((s) => s.proof.orderCreatedEvents),
      ...(checked
        ? {
            reservedByWinner: sum((s) => s.proof.reservedByWinner!),
            reservedWithinMs: Math.max(...sides.map((s) => s.proof.reservedWithinMs ?? 0)),
          }
        : {}),
    },
  };
}

function saleRow(round: string, side: keyof typeof SALE_SIDE_NAMES, s: SaleSideResult): string[] {
  return [
    round,
    SALE_SIDE_NAMES[side],
    `${s.seconds.toFixed(2)} s`,
    count(s.requests / s.seconds),
    count(s.ordersPerSecond),
    ms(s.latency.p50),
    ms(s.latency.p99),
    ms(s.latency.max),
    statuses(s.statuses),
    `${s.proof.orders} on ${s.proof.ticketsWithAnOrder} tickets`,
    String(s.proof.ticketsOrderedTwice),
    s.proof.reservedByWinner === undefined
      ? '–'
      : `${s.proof.reservedByWinner} (${ms(s.proof.reservedWithinMs ?? Number.NaN)} after)`,
  ];
}

/** The flash sale's table: each round's two sides, then each side over all rounds. */
export function saleTable(sale: BenchResults['sale']): string[][] {
  return [
    [
      'round',
      'side',
      'took',
      'requests/s',
      'orders/s',
      'p50',
      'p99',
      'max',
      'responses',
      'orders in DB',
      'tickets ordered twice',
      'reserved in tickets',
    ],
    ...sale.rounds.flatMap((round, i) =>
      SALE_SIDES.map((side) => saleRow(String(i + 1), side, round[side])),
    ),
    ...SALE_SIDES.map((side) =>
      saleRow(
        ALL_ROUNDS,
        side,
        overAllRounds(
          sale.rounds.map((round) => round[side]),
          sale[side],
        ),
      ),
    ),
  ];
}
