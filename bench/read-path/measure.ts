import { stopChild } from '../../scripts/system/children.js';
import { freePort } from '../../scripts/system/network.js';
import type { CpuUsage } from '../harness/cpu.js';
import { forkReady } from '../harness/helper-process.js';
import { runLoad } from '../harness/load.js';
import { median, type Summary, summarize } from '../harness/stats.js';

export interface ReadPathSettings {
  connections: number;
  /** Length of one measured burst per target. */
  seconds: number;
  /** Rounds of every target, the order rotating each round. */
  rounds: number;
}

/** The bare server, the bare proxy in front of it, the tickets service, the gateway in front of it. */
export type ReadTarget = 'reference' | 'referenceProxy' | 'tickets' | 'gateway';

export interface ReadTargetResult {
  target: ReadTarget;
  requests: number;
  /** Requests per second over all rounds. */
  perSecond: number;
  /** Requests per second of each round, in round order (absent in runs saved before charts). */
  perSecondByRound?: number[];
  latency: Summary;
  /** Median over rounds of (this target ÷ the reference in the same round). */
  ratio: { perSecond: number; p50: number; p99: number };
  non2xx: number;
  /** CPU of the processes on the path, in cores, averaged over this target's bursts. */
  cpu: Record<string, number>;
  machineBusy: number;
}

/** What one read-path measurement asks for: the n-th request's path. */
export interface ReadRoute {
  path: (n: number) => string;
}

export interface ReadPathContext {
  ticketsUrl: string;
  gatewayUrl: string;
  ticketsDatabaseUrl: string;
  ticketIds: string[];
  /** Starts measuring CPU (of the system and `extra` processes); the returned function reports. */
  meterCpu: (extra: Record<string, number[]>) => Promise<() => Promise<CpuUsage>>;
  say: (line: string) => void;
}

/** Runs one of this folder's servers on a spare port until it says it is ready. */
async function startChild(script: string, env: Record<string, string>) {
  const port = await freePort();
  const child = await forkReady(new URL(script, import.meta.url), { ...env, PORT: String(port) });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child) };
}

/**
 * GET /api/tickets/:id (or `route`) straight to the tickets service, through the gateway,
 * from the reference server and through the reference proxy, in short
 * alternating bursts so that whatever else loads the machine hits them all
 * alike. Each burst cycles through the given tickets.
 */
export async function measureReadPath(
  context: ReadPathContext,
  settings: ReadPathSettings,
  route: ReadRoute = {
    path: (n) => `/api/tickets/${context.ticketIds[n % context.ticketIds.length]}`,
  },
): Promise<ReadTargetResult[]> {
  const reference = await startChild('./reference-server.ts', {
    DATABASE_URL: context.ticketsDatabaseUrl,
  });
  const proxy = await startChild('./reference-proxy.ts', { UPSTREAM: reference.url }).catch(
    async (error) => {
      await reference.stop();
      throw error;
    },
  );
  const urls: Record<ReadTarget, string> = {
    reference: reference.url,
    referenceProxy: proxy.url,
    tickets: context.ticketsUrl,
    gateway: context.gatewayUrl,
  };
  const targets: ReadTarget[] = ['reference', 'tickets', 'referenceProxy', 'gateway'];
  const burst = (target: ReadTarget, seconds: number) =>
    runLoad({
      url: urls[target],
      connections: settings.connections,
      seconds,
      request: (n) => ({ path: route.path(n) }),
    });

  try {
    // Warm-up (JIT, pools, keep-alive connections), left out of every number.
    for (const target of targets) await burst(target, 1);

    const rounds: Array<
      Record<
        ReadTarget,
        { latencies: number[]; requests: number; seconds: number; non2xx: number; cpu: CpuUsage }
      >
    > = [];
    for (let r = 0; r < settings.rounds; r++) {
      const round = {} as (typeof rounds)[number];
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + r) % targets.length]!;
        const stopCpu = await context.meterCpu({
          reference: [reference.pid],
          'reference proxy': [proxy.pid],
        });
        const result = await burst(target, settings.seconds);
        const cpu = await stopCpu();
        const non2xx = Object.entries(result.statuses)
          .filter(([code]) => !code.startsWith('2'))
          .reduce((sum, [, n]) => sum + n, 0);
        round[target] = { ...result, non2xx, cpu };
      }
      rounds.push(round);
      context.say(
        `read path round ${r + 1}/${settings.rounds}: ${targets
          .map((t) => `${t} ${Math.round(round[t].requests / round[t].seconds)}/s`)
          .join(', ')}`,
      );
    }

    const results = targets.map((target): ReadTargetResult => {
      const mine = rounds.map((round) => round[target]);
      const perRound = rounds.map((round) => {
        const a = summarize(round[target].latencies);
        const ref = summarize(round.reference.latencies);
        return {
          perSecond:
            round[target].requests /
            round[target].seconds /
            (round.reference.requests / round.reference.seconds),
          p50: a.p50 / ref.p50,
          p99: a.p99 / ref.p99,
        };
      });
      const requests = mine.reduce((sum, m) => sum + m.requests, 0);
      const seconds = mine.reduce((sum, m) => sum + m.seconds, 0);
      const cpuNames = Object.keys(mine[0]!.cpu.cores);
      return {
        target,
        requests,
        perSecond: requests / seconds,
        perSecondByRound: mine.map((m) => m.requests / m.seconds),
        latency: summarize(mine.flatMap((m) => m.latencies)),
        ratio: {
          perSecond: median(perRound.map((p) => p.perSecond)),
          p50: median(perRound.map((p) => p.p50)),
          p99: median(perRound.map((p) => p.p99)),
        },
        non2xx: mine.reduce((sum, m) => sum + m.non2xx, 0),
        cpu: Object.fromEntries(
          cpuNames.map((name) => [name, median(mine.map((m) => m.cpu.cores[name] ?? 0))]),
        ),
        machineBusy: median(mine.map((m) => m.cpu.machine)),
      };
    });
    return results;
  } finally {
    await proxy.stop();
    await reference.stop();
  }
}
