import type pg from 'pg';
import type { RunningSystem } from '../../scripts/system/system.js';
import { attemptsFor } from '../flash-sale/buyers.js';
import { countOrders, waitForReservations } from '../flash-sale/proof.js';
import { raceThroughGateway } from '../flash-sale/race.js';
import { type CpuUsage, cpuMeter } from '../harness/cpu.js';
import { signSessions } from '../harness/sessions.js';
import type { SaleBurst } from './report.js';

/**
 * CPU seconds the named services of `system` use between start() and the returned
 * stop(), less what they use idle (`idleCores`: timers, pollers, heartbeats, which
 * would otherwise weigh more the slower the machine serves): read from /proc, so what
 * the rest of the machine does is left out.
 */
export function servicesCpu(system: RunningSystem, names: readonly string[], idleCores = 0) {
  const meter = servicesMeter(system, names);
  return async () => {
    const stop = await meter.start();
    return async () => busySeconds(await stop(), idleCores);
  };
}

/** A CPU meter over the named services of `system`, one group each. */
export function servicesMeter(system: RunningSystem, names: readonly string[]) {
  return cpuMeter(async () =>
    Object.fromEntries(names.map((name) => [name, [system.pidOf(name) ?? -1]])),
  );
}

/** The CPU seconds `usage` counted over its groups, less `idleCores` for as long. */
export function busySeconds(usage: CpuUsage, idleCores: number): number {
  const cores = Object.values(usage.cores).reduce((sum, c) => sum + c, 0);
  return Math.max(0, cores - idleCores) * usage.seconds;
}

/** The cores each system's `names` use while nothing is asked of them, measured together. */
export async function idleCores<K extends string>(
  systems: Record<K, RunningSystem>,
  names: readonly string[],
  seconds: number,
): Promise<Record<K, number>> {
  const keys = Object.keys(systems) as K[];
  const stops = await Promise.all(keys.map((k) => servicesCpu(systems[k], names)()));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = await Promise.all(stops.map((stop) => stop()));
  return Object.fromEntries(keys.map((k, i) => [k, used[i]! / seconds])) as Record<K, number>;
}

/**
 * One round of the flash sale on one system: `buyers` fresh buyers race through the
 * gateway for `ticketIds` (already in orders' replica). CPU is counted from the first
 * request until tickets holds every ticket reserved by its winner, so the events the
 * sale causes (outbox, NATS, consumers, the expiration job) are in it.
 */
export async function saleRound(options: {
  round: number;
  tracing: 'off' | 'on';
  system: RunningSystem;
  pools: { orders: pg.Pool; tickets: pg.Pool };
  ticketIds: string[];
  buyers: number;
  connections: number;
  services: readonly string[];
  /** The services' CPU while idle, in cores, left out of the round's. */
  idleCores: number;
}): Promise<SaleBurst> {
  const { system, ticketIds } = options;
  const buyers = await signSessions(
    system.settings.jwt.privateKeyPem,
    options.buyers,
    `tr-${options.tracing}-${options.round}`,
  );
  const stopCpu = await servicesCpu(system, options.services, options.idleCores)();
  const race = await raceThroughGateway(
    system.baseUrl,
    attemptsFor(buyers, ticketIds),
    options.connections,
  );
  await waitForReservations(options.pools.orders, options.pools.tickets, ticketIds);
  const cpuSeconds = await stopCpu();
  const proof = await countOrders(options.pools.orders, ticketIds);
  return {
    round: options.round,
    tracing: options.tracing,
    attempts: race.requests,
    tickets: ticketIds.length,
    exactlyOnePerTicket:
      race.statuses['201'] === ticketIds.length &&
      proof.orders === ticketIds.length &&
      proof.ticketsWithAnOrder === ticketIds.length &&
      proof.orderCreatedEvents === ticketIds.length,
    ordersPerSecond: race.ordersPerSecond,
    latencies: race.latencies,
    cpuSeconds,
  };
}
