import { Redis } from 'ioredis';
import type { PrivateInfra } from '../../scripts/system/infra.js';
import type { Server } from '../../scripts/system/servers.js';
import type { RunningSystem } from '../../scripts/system/system.js';
import type { ReadinessMonitor } from './readiness.js';

/** A fault as it happened, in the run's clock (ms). */
export interface FaultRecord {
  name: string;
  /** The process killed or the server stopped. */
  target: string;
  kind: 'service' | 'dependency';
  startedAt: number;
  /** When the target was started again (service: respawned; server: accepting again). */
  returnedAt: number;
  /** The killed service answering /readyz 200 again. */
  ownReadyAt: number | undefined;
  /** The first moment after returnedAt at which every service answered /readyz 200. */
  allReadyAt: number | undefined;
  /** Services whose /readyz failed during the fault. */
  unready: string[];
  /** When the next fault started (or the load stopped): errors up to here are this fault's. */
  windowEndsAt: number;
  /** Redis flush: the wall-clock time (epoch ms) of the FLUSHALL. */
  flushedAtMs?: number;
  error?: string;
}

export interface FaultPlan {
  services: string[];
  /** How long a killed service stays down before its restart. */
  serviceDownMs: number;
  natsDownMs: number;
  postgresDownMs: number;
  /** Load without faults between two faults, after recovery. */
  gapMs: number;
  /** Longest wait for recovery before moving on (the fault is then reported unrecovered). */
  recoveryTimeoutMs: number;
  /** FLUSHALL on Redis under load, after the service kills: every expiration job is gone. */
  flushRedis?: boolean;
  /**
   * Processes to kill instead of `services` (cluster mode: one replica of each,
   * e.g. `orders-2`); default: `services`.
   */
  kill?: string[];
  /** Which NATS server to stop: the only one, or one node of a cluster (default: all of `infra.nats`). */
  natsTarget?: { name: string; server: Server };
}

export interface FaultDeps {
  system: RunningSystem;
  infra: PrivateInfra;
  monitor: ReadinessMonitor;
  clock: () => number;
  say: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Injects the faults one after another under load: SIGKILL and restart of each
 * service, then NATS stopped, then Postgres stopped. After each it waits for every
 * service to be ready (or the recovery deadline) and lets the load run for a gap.
 */
export async function runFaults(plan: FaultPlan, deps: FaultDeps): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  const close = () => {
    const last = records.at(-1);
    if (last) last.windowEndsAt = deps.clock();
  };
  for (const service of plan.kill ?? plan.services) {
    close();
    records.push(await killService(service, plan, deps));
    await sleep(plan.gapMs);
  }
  if (plan.flushRedis) {
    close();
    records.push(await flushRedis(plan, deps));
    await sleep(plan.gapMs);
  }
  close();
  const nats = plan.natsTarget ?? { name: 'NATS', server: deps.infra.nats };
  records.push(await stopDependency(nats.name, nats.server, plan.natsDownMs, plan, deps));
  await sleep(plan.gapMs);
  close();
  records.push(
    await stopDependency('PostgreSQL', deps.infra.postgres, plan.postgresDownMs, plan, deps),
  );
  await sleep(plan.gapMs);
  close();
  return records;
}

async function killService(
  service: string,
  plan: FaultPlan,
  { system, monitor, clock, say }: FaultDeps,
): Promise<FaultRecord> {
  const startedAt = clock();
  say(`kill -9 ${service}`);
  await system.kill(service, 'SIGKILL');
  await sleep(plan.serviceDownMs - (clock() - startedAt));
  const returnedAt = clock();
  say(`restart ${service}`);
  let error: string | undefined;
  const [, allReadyAt] = await Promise.all([
    system.restart(service).catch((e: unknown) => {
      error = e instanceof Error ? e.message : String(e);
    }),
    monitor.waitAllReady(returnedAt, plan.recoveryTimeoutMs),
  ]);
  const record: FaultRecord = {
    name: `kill -9 ${service}`,
    target: service,
    kind: 'service',
    startedAt,
    returnedAt,
    ownReadyAt: monitor.readySince(service, returnedAt),
    allReadyAt,
    unready: monitor.unreadyBetween(startedAt, allReadyAt ?? clock()),
    windowEndsAt: clock(),
    ...(error ? { error } : {}),
  };
  say(
    `${service} ready after ${seconds(record.ownReadyAt, returnedAt)}, all after ${seconds(allReadyAt, returnedAt)}`,
  );
  return record;
}

async function stopDependency(
  name: string,
  server: Server,
  downMs: number,
  plan: FaultPlan,
  { monitor, clock, say }: FaultDeps,
): Promise<FaultRecord> {
  const startedAt = clock();
  say(`stop ${name} for ${downMs / 1000} s`);
  await server.stop();
  await sleep(downMs - (clock() - startedAt));
  say(`start ${name}`);
  let error: string | undefined;
  await server.start().catch((e: unknown) => {
    error = e instanceof Error ? e.message : String(e);
  });
  const returnedAt = clock();
  const allReadyAt = await monitor.waitAllReady(returnedAt, plan.recoveryTimeoutMs);
  say(`all services ready ${seconds(allReadyAt, returnedAt)} after ${name} returned`);
  return {
    name: `stop ${name}`,
    target: name,
    kind: 'dependency',
    startedAt,
    returnedAt,
    ownReadyAt: undefined,
    allReadyAt,
    unready: monitor.unreadyBetween(startedAt, allReadyAt ?? clock()),
    windowEndsAt: clock(),
    ...(error ? { error } : {}),
  };
}

/**
 * FLUSHALL on the run's Redis while buyers keep buying: every expiration job,
 * delayed or waiting, and every cancellation mark vanishes at once. Redis itself
 * stays up; the orders service's sweeper must still cancel each order whose hold
 * ran out (the invariant "No order left open past its hold").
 */
async function flushRedis(
  plan: FaultPlan,
  { infra, monitor, clock, say }: FaultDeps,
): Promise<FaultRecord> {
  const startedAt = clock();
  const redis = new Redis(infra.urls.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  let error: string | undefined;
  let keys = 0;
  let flushedAtMs = Date.now();
  try {
    await redis.connect();
    keys = await redis.dbsize();
    await redis.flushall();
    flushedAtMs = Date.now();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    redis.disconnect();
  }
  say(`FLUSHALL on Redis (${keys} keys gone)${error ? `: ${error}` : ''}`);
  const returnedAt = clock();
  const allReadyAt = await monitor.waitAllReady(returnedAt, plan.recoveryTimeoutMs);
  return {
    name: 'FLUSHALL Redis',
    target: 'Redis',
    kind: 'dependency',
    startedAt,
    returnedAt,
    ownReadyAt: undefined,
    allReadyAt,
    unready: monitor.unreadyBetween(startedAt, allReadyAt ?? clock()),
    windowEndsAt: clock(),
    flushedAtMs,
    ...(error ? { error } : {}),
  };
}

export function seconds(at: number | undefined, since: number): string {
  return at === undefined ? 'never' : `${((at - since) / 1000).toFixed(1)} s`;
}
