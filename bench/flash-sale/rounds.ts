import type pg from 'pg';
import type { CpuUsage } from '../harness/cpu.js';
import type { SignedSession } from '../harness/sessions.js';
import { median, summarize } from '../harness/stats.js';
import type { PropagationHops, PropagationProbe, PropagationResult } from '../propagation/probe.js';
import type { SaleRound, SaleSide } from '../results.js';
import { attemptsFor } from './buyers.js';
import { countOrders, waitForReservations } from './proof.js';
import { raceThroughGateway } from './race.js';
import { raceAgainstPostgres, seedReferenceTickets } from './reference.js';

export interface SaleContext {
  baseUrl: string;
  buyers: SignedSession[];
  /** One list of fresh tickets per round, listed through the gateway. */
  saleTickets: string[][];
  connections: number;
  idleProbeSeconds: number;
  /** The system's orders and tickets databases, and the reference database (reference.ts). */
  pools: { orders: pg.Pool; tickets: pg.Pool; reference: pg.Pool };
  probe: PropagationProbe;
  meterCpu: (extra?: Record<string, number[]>) => Promise<() => Promise<CpuUsage>>;
  say: (line: string) => void;
  signal: AbortSignal;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rounds of the flash sale through the gateway (with the propagation probe
 * running) and of the reference transaction on Postgres, alternating A-B, B-A,
 * with an idle propagation probe between the two sides of each round.
 */
export async function runSaleRounds(context: SaleContext) {
  const rounds: SaleRound[] = [];
  for (let r = 0; r < context.saleTickets.length; r++) {
    const ticketIds = context.saleTickets[r]!;
    const gatewaySide = async (): Promise<SaleSide> => {
      const stopCpu = await context.meterCpu({ probe: [context.probe.pid] });
      const race = raceThroughGateway(
        context.baseUrl,
        attemptsFor(context.buyers, ticketIds),
        context.connections,
      );
      const propagation = await context.probe.measure(race);
      const result = await race;
      const cpu = await stopCpu();
      const proof = await countOrders(context.pools.orders, ticketIds);
      Object.assign(
        proof,
        await waitForReservations(context.pools.orders, context.pools.tickets, ticketIds),
      );
      return {
        ...result,
        proof,
        cpu,
        propagation: propagation.latencies,
        propagationHops: propagation.hops,
      };
    };
    const referenceSide = async (): Promise<SaleSide> => {
      const ids = await seedReferenceTickets(context.pools.reference, ticketIds.length);
      const stopCpu = await context.meterCpu();
      const result = await raceAgainstPostgres(
        context.pools.reference,
        attemptsFor(context.buyers, ids),
        context.connections,
      );
      const cpu = await stopCpu();
      return { ...result, proof: await countOrders(context.pools.reference, ids), cpu };
    };
    const idleProbe = () => context.probe.measure(sleep(context.idleProbeSeconds * 1000));

    // A B then B A: drift in the machine's load hits both sides alike.
    let gateway: SaleSide;
    let reference: SaleSide;
    let idle: PropagationResult;
    if (r % 2 === 0) {
      gateway = await gatewaySide();
      idle = await idleProbe();
      reference = await referenceSide();
    } else {
      reference = await referenceSide();
      idle = await idleProbe();
      gateway = await gatewaySide();
    }
    rounds.push({ gateway, reference, idlePropagation: idle.latencies, idleHops: idle.hops });
    context.say(
      `flash sale round ${r + 1}/${context.saleTickets.length}: gateway ${gateway.ordersPerSecond.toFixed(0)} orders/s ` +
        `(${gateway.proof.orders} orders on ${gateway.proof.ticketsWithAnOrder} tickets), ` +
        `reference ${reference.ordersPerSecond.toFixed(0)} orders/s`,
    );
    context.signal.throwIfAborted();
  }
  return summarizeSale(rounds);
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
  const hopsOf = (hops: Array<PropagationHops | undefined>) => ({
    relay: summarize(hops.flatMap((h) => h?.relay ?? [])),
    consumer: summarize(hops.flatMap((h) => h?.consumer ?? [])),
  });
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
      hops: {
        duringSale: hopsOf(rounds.map((r) => r.gateway.propagationHops)),
        idle: hopsOf(rounds.map((r) => r.idleHops)),
      },
    },
  };
}

function withoutSamples({ latencies, propagation, propagationHops: _, ...rest }: SaleSide) {
  return {
    ...rest,
    latency: summarize(latencies),
    ...(propagation ? { propagation: summarize(propagation) } : {}),
  };
}
