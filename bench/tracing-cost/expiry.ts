import type { EventBus } from '@gittix/common';
import type pg from 'pg';
import type { RunningSystem } from '../../scripts/system/system.js';
import { expireTogether } from '../expiry/burst.js';
import type { CpuUsage } from '../harness/cpu.js';
import type { ExpirationQueue } from '../harness/expiration-queue.js';
import { signSessions } from '../harness/sessions.js';
import type { ExpiryBurst } from './report.js';
import { busySeconds, servicesMeter } from './sale.js';

/** How long past the last cancellation CPU is still counted: the last spans' export. */
const EXPORT_TAIL_MS = 1_500;

/** The expiry path's processes: the worker, the cancellation, the release. */
export const EXPIRY_SERVICES = ['expiration', 'orders', 'tickets'] as const;

/**
 * One expiry round on one copy, as `npm run bench`'s expiry burst: fresh buyers each
 * order one of `ticketIds` through the gateway, every order's job is moved to one due
 * instant `leadMs` ahead, and the real path cancels them (expiration's worker →
 * expiration.complete → orders → order.cancelled). CPU of EXPIRY_SERVICES is counted
 * from the due instant to EXPORT_TAIL_MS past the last cancellation, less what they use
 * idle.
 */
export async function expiryRound(options: {
  round: number;
  tracing: 'off' | 'on';
  system: RunningSystem;
  ordersPool: pg.Pool;
  bus: EventBus;
  expirations: ExpirationQueue;
  ticketIds: string[];
  leadMs: number;
  /** The services' CPU while idle, in cores, left out of the round's. */
  idleCores: number;
}): Promise<ExpiryBurst> {
  const { system, ticketIds } = options;
  const meter = servicesMeter(system, EXPIRY_SERVICES);
  let stop: (() => Promise<CpuUsage>) | undefined;
  const burst = await expireTogether({
    baseUrl: system.baseUrl,
    // One order each: a buyer may hold only MAX_OPEN_ORDERS_PER_USER open orders.
    buyers: await signSessions(
      system.settings.jwt.privateKeyPem,
      ticketIds.length,
      `tr-exp-${options.tracing}-${options.round}`,
    ),
    ticketIds,
    ordersPool: options.ordersPool,
    expirations: options.expirations,
    bus: options.bus,
    leadMs: options.leadMs,
    meterCpu: async () => {
      stop = await meter.start();
      return stop;
    },
  });
  // The traced copy sends the burst's spans in batches up to OTEL_BSP_SCHEDULE_DELAY
  // (500 ms) after the last cancellation: read the CPU again once they are out, so that
  // the export is counted (both copies alike; the idle share is taken off).
  await new Promise((resolve) => setTimeout(resolve, EXPORT_TAIL_MS));
  const cpu = await stop!();
  return {
    round: options.round,
    tracing: options.tracing,
    orders: burst.orders,
    cancelledInDb: burst.cancelledInDb,
    fired: burst.fired,
    cancelled: burst.cancelled,
    cpuSeconds: busySeconds(cpu, options.idleCores),
  };
}
