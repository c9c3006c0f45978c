import type pg from 'pg';
import { countOrders, type SaleProof } from '../flash-sale/proof.js';
import type { CpuUsage } from '../harness/cpu.js';
import { type ListenQueueWatch, watchListenQueue } from '../harness/listen-queue.js';
import { runLoad } from '../harness/load.js';
import { bearer, type SignedSession } from '../harness/sessions.js';
import { summarize } from '../harness/stats.js';
import type { OverloadStep } from '../results.js';
import { type OfferedRequest, offerLoad } from './open-loop.js';
import { type RefusalCounts, refusalCounter, refusalsBetween } from './refusals.js';

export interface OverloadSettings {
  /** Seconds each load is offered for (and capacity measured over). */
  seconds: number;
  /** Offered loads, as multiples of the measured capacity. */
  multiples: number[];
  /** Closed-loop connections that measure the capacity. */
  connections: number;
}

export interface OverloadContext {
  baseUrl: string;
  buyers: SignedSession[];
  /** Fresh tickets for the capacity run, then one list per multiple. */
  ticketLists: string[][];
  ordersPool: pg.Pool;
  say: (line: string) => void;
  /** Starts measuring CPU by process group (services, Postgres, this process: the load generator). */
  meterCpu?: () => Promise<() => Promise<CpuUsage>>;
  /** Reads the services' admission counters (refusals.ts), to say who refused and why. */
  countRefusals?: () => Promise<RefusalCounts>;
  /** Starts sampling the gateway's accept queue (harness/listen-queue.ts); the stop says what it saw. */
  watchListenQueue?: () => () => ListenQueueWatch | undefined;
}

/**
 * What each step reads from a running system besides the answers: the admission
 * counters of the instances on the sale's path (the gateway, then orders) and the
 * gateway's accept queue. `urlOf` names a service's base URL.
 */
export function overloadProbes(
  urlOf: (service: 'gateway' | 'orders') => string,
): Required<Pick<OverloadContext, 'countRefusals' | 'watchListenQueue'>> {
  const gateway = urlOf('gateway');
  return {
    countRefusals: refusalCounter({ gateway, orders: urlOf('orders') }),
    watchListenQueue: () => watchListenQueue(Number(new URL(gateway).port)),
  };
}

/** The first second of each step is left out of goodput: connections are still being opened. */
const RAMP_MS = 1_000;

export const OVERLOAD_TARGET = 'gateway → orders (flash sale)';

/** The flash sale's request: a buyer orders one of the step's tickets; most lose the race (400). */
function orderRequest(buyers: SignedSession[], tickets: string[]) {
  return (n: number): OfferedRequest => ({
    method: 'POST',
    path: '/api/orders',
    body: JSON.stringify({ ticketId: tickets[n % tickets.length] }),
    headers: { 'content-type': 'application/json', ...bearer(buyers[n % buyers.length]!) },
  });
}

const answeredBelow500 = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .filter(([status]) => Number(status) > 0 && Number(status) < 500)
    .reduce((sum, [, n]) => sum + n, 0);

function oversold(proof: SaleProof): number {
  return proof.ticketsOrderedTwice + (proof.orders - proof.ticketsWithAnOrder);
}

/**
 * Overload (issue 18): the flash sale's `POST /api/orders` through the gateway.
 * First its capacity, with a closed loop (answers below 500 per second); then an
 * open loop offering 1×, 2×, 5× that rate. Goodput is the answers below 500
 * (201 won, 400 already reserved, 429 too many open orders: correct answers to a
 * buyer) per second after the ramp; refusals are 503 + Retry-After; any other 5xx
 * or timeout is a failure. Each step's tickets are counted in the orders
 * database: one order per ticket at most, whatever the load.
 */
export async function measureOverload(
  context: OverloadContext,
  settings: OverloadSettings,
): Promise<{ capacity: OverloadStep; steps: OverloadStep[] }> {
  const [capacityTickets, ...stepTickets] = context.ticketLists;
  if (!capacityTickets || stepTickets.length < settings.multiples.length) {
    throw new Error('overload: one ticket list for the capacity run and one per multiple');
  }
  const capacity = await measureCapacity(context, settings, capacityTickets);
  const steps: OverloadStep[] = [];
  for (const [i, multiple] of settings.multiples.entries()) {
    steps.push(await offerStep(context, settings, multiple, capacity, stepTickets[i]!));
  }
  return { capacity, steps };
}

type CpuMeter = () => Promise<() => Promise<CpuUsage | undefined>>;
const meterOf = (context: OverloadContext): CpuMeter =>
  context.meterCpu ?? (async () => async () => undefined);

/** The closed loop: how many answers below 500 per second the system gives at most. */
async function measureCapacity(
  context: OverloadContext,
  settings: OverloadSettings,
  tickets: string[],
): Promise<OverloadStep> {
  const stopCpu = await meterOf(context)();
  const run = await runLoad({
    url: context.baseUrl,
    connections: settings.connections,
    seconds: settings.seconds,
    method: 'POST',
    request: (n) => orderRequest(context.buyers, tickets)(n),
  });
  const cpu = await stopCpu();
  const capacity = answeredBelow500(run.statuses) / run.seconds;
  const proof = await countOrders(context.ordersPool, tickets);
  context.say(
    `overload: capacity ${capacity.toFixed(0)} answers/s (closed loop, ${settings.connections} connections)`,
  );
  return {
    target: OVERLOAD_TARGET,
    multiple: 0,
    offeredPerSecond: Math.round(capacity),
    goodputPerSecond: Math.round(capacity),
    admittedP99: round1(summarize(run.latencies).p99),
    capacityPerSecond: capacity,
    sent: run.requests,
    statuses: run.statuses,
    refused: run.statuses['503'] ?? 0,
    refusedWithRetryAfter: 0,
    otherServerErrors: serverErrors(run.statuses) + run.errors + run.timeouts,
    created: run.statuses['201'] ?? 0,
    oversold: oversold(proof),
    ...(cpu ? { cpu } : {}),
  };
}

/**
 * One open-loop step at `multiple` × the capacity, with what was spent meanwhile:
 * the CPU, who refused (the services' counters before and after) and the gateway's
 * accept queue.
 */
async function offerStep(
  context: OverloadContext,
  settings: OverloadSettings,
  multiple: number,
  capacityStep: OverloadStep,
  tickets: string[],
): Promise<OverloadStep> {
  const capacity = capacityStep.capacityPerSecond ?? capacityStep.goodputPerSecond;
  const perSecond = capacity * multiple;
  const refusalsBefore = await context.countRefusals?.();
  const stopListenWatch = context.watchListenQueue?.();
  const stopCpu = await meterOf(context)();
  const result = await offerLoad({
    url: context.baseUrl,
    perSecond,
    seconds: settings.seconds,
    request: orderRequest(context.buyers, tickets),
  });
  const cpu = await stopCpu();
  const listen = stopListenWatch?.();
  const refusalsAfter = await context.countRefusals?.();
  const windowMs = result.seconds * 1000;
  const inWindow = result.goodAnswersAt.filter((t) => t >= RAMP_MS && t <= windowMs).length;
  const goodput = inWindow / ((windowMs - RAMP_MS) / 1000);
  const proof = await countOrders(context.ordersPool, tickets);
  const step: OverloadStep = {
    target: OVERLOAD_TARGET,
    multiple,
    offeredPerSecond: Math.round(perSecond),
    goodputPerSecond: Math.round(goodput),
    admittedP99: round1(summarize(result.admittedLatencies).p99),
    capacityPerSecond: capacity,
    sent: result.sent,
    statuses: result.statuses,
    refused: result.statuses['503'] ?? 0,
    refusedWithRetryAfter: result.refusedWithRetryAfter,
    refusedP99: round1(summarize(result.refusedLatencies).p99),
    // A 503 without Retry-After is a failure, not a refusal.
    otherServerErrors:
      serverErrors(result.statuses) + (result.statuses['503'] ?? 0) - result.refusedWithRetryAfter,
    created: result.statuses['201'] ?? 0,
    oversold: oversold(proof),
    ...(cpu ? { cpu } : {}),
    ...(refusalsBefore && refusalsAfter
      ? { refusedBy: refusalsBetween(refusalsBefore, refusalsAfter) }
      : {}),
    ...(listen ? { listen } : {}),
  };
  context.say(
    `overload ${multiple}×: offered ${step.offeredPerSecond}/s, goodput ${step.goodputPerSecond}/s ` +
      `(${(goodput / capacity).toFixed(2)}× capacity), admitted p99 ${step.admittedP99} ms, ` +
      `${step.refused} refused, ${step.otherServerErrors} other 5xx/errors, ${step.oversold} oversold ` +
      `(answers: ${JSON.stringify(result.statuses)})` +
      (listen
        ? `, accept queue up to ${listen.maxAcceptQueue}, ${listen.overflows} overflows`
        : ''),
  );
  return step;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** 5xx other than 503, connection errors and timeouts: none is acceptable. */
function serverErrors(statuses: Record<string, number>): number {
  return Object.entries(statuses)
    .filter(([status]) => {
      if (status === 'error' || status === 'timeout') return true;
      const code = Number(status);
      return code >= 500 && code !== 503;
    })
    .reduce((sum, [, n]) => sum + n, 0);
}
