/**
 * `npm run bench:tracing:web`: what exporting traces costs the web app. One GitTix
 * (services and gateway, the e2e harness) and two copies of the production web build
 * (`next start`) in front of the same gateway: one with tracing off (no endpoint, what
 * every install runs by default), one exporting every span over OTLP/HTTP to an
 * in-process sink. `/` (signed out: a listing of 24 tickets, two reads of the gateway
 * per page) goes to each in short alternating bursts, the order rotating each round.
 * For each it reports pages per second and the copy's CPU per page (/proc of its
 * process tree), as the median over rounds of the on/off ratio within a round.
 *
 *   npm run bench:tracing:web -- [--rounds 6] [--seconds 3] [--connections 10]
 *                                 [--env OTEL_TRACES_SAMPLER=parentbased_traceidratio --env OTEL_TRACES_SAMPLER_ARG=0.1]
 *
 * `--env KEY=VALUE` (repeatable) is added to the traced copy's environment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../e2e/harness/client.js';
import { startSystem } from '../../e2e/harness/system.js';
import { ensureWebBuild } from '../../scripts/system/build.js';
import { freePort } from '../../scripts/system/network.js';
import { runLoad } from '../harness/load.js';
import { markdownTable } from '../harness/markdown.js';
import { median, summarize } from '../harness/stats.js';
import { startOtlpSink } from './sink.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const tracedEnv = Object.fromEntries(
  args.env.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env ${pair}: KEY=VALUE`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const say = (line: string) => process.stderr.write(`[tracing:web] ${line}\n`);
const webDir = fileURLToPath(new URL('../../apps/web', import.meta.url));
const nextBin = fileURLToPath(new URL('../../node_modules/next/dist/bin/next', import.meta.url));

/** utime + stime of `pid` and every process below it, seconds (/proc ticks at 100 Hz). */
function treeCpuSeconds(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The process ended while the list was read.
    }
  }
  const inTree = (candidate: number): boolean => {
    for (let p = candidate; p > 1; p = stats.get(p)?.ppid ?? 0) if (p === pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [id, { ticks: own }] of stats) if (inTree(id)) ticks += own;
  return ticks / 100;
}

interface WebCopy {
  name: string;
  url: string;
  child: ChildProcess;
}

async function startWeb(name: string, env: Record<string, string>): Promise<WebCopy> {
  const port = await freePort();
  const child = spawn(process.execPath, [nextBin, 'start', '-p', String(port)], {
    cwd: webDir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { name, url, child };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill();
  throw new Error(`${name}: next start did not answer within 60 s`);
}

ensureWebBuild(say);
const sink = await startOtlpSink();
const system = await startSystem({ web: false });
const copies: WebCopy[] = [];
try {
  const seller = new ApiClient(system.baseUrl);
  await seller.signUp('seller');
  for (let i = 0; i < 24; i++) {
    const listed = await seller.post('/api/tickets', { title: `Bench show ${i}`, price: 20 + i });
    if (listed.status !== 201) throw new Error(`listing a ticket answered ${listed.status}`);
  }
  const shared = { GATEWAY_URL: system.baseUrl };
  copies.push(await startWeb('tracing off', shared));
  copies.push(
    await startWeb('tracing exported', {
      ...shared,
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '500',
      ...tracedEnv,
    }),
  );
  // Warm-up: each copy renders its pages once under load before anything is counted.
  for (const copy of copies) {
    await runLoad({ url: copy.url, connections: 4, seconds: 2, request: () => ({ path: '/' }) });
  }
  const perCopy = new Map(
    copies.map((c) => [
      c.name,
      { rps: [] as number[], us: [] as number[], latencies: [] as number[] },
    ]),
  );
  const cpuRatios: number[] = [];
  const rpsRatios: number[] = [];
  const loads: number[] = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    const order = round % 2 === 0 ? copies : [...copies].reverse();
    const seen = new Map<string, { rps: number; us: number }>();
    for (const copy of order) {
      loads.push(loadavg()[0]!);
      const before = treeCpuSeconds(copy.child.pid!);
      const result = await runLoad({
        url: copy.url,
        connections: Number(args.connections),
        seconds: Number(args.seconds),
        request: () => ({ path: '/' }),
      });
      const cpu = treeCpuSeconds(copy.child.pid!) - before;
      const ok = result.statuses['200'] ?? 0;
      if (ok !== result.requests)
        throw new Error(`${copy.name}: ${JSON.stringify(result.statuses)}`);
      const rps = result.requests / result.seconds;
      const us = (cpu * 1e6) / result.requests;
      seen.set(copy.name, { rps, us });
      const entry = perCopy.get(copy.name)!;
      entry.rps.push(rps);
      entry.us.push(us);
      entry.latencies.push(...result.latencies);
    }
    const off = seen.get('tracing off')!;
    const on = seen.get('tracing exported')!;
    cpuRatios.push(on.us / off.us);
    rpsRatios.push(on.rps / off.rps);
    say(
      `round ${round + 1}: off ${off.rps.toFixed(0)} pages/s ${off.us.toFixed(0)} µs, on ${on.rps.toFixed(0)} pages/s ${on.us.toFixed(0)} µs`,
    );
  }
  const rows = copies.map((copy) => {
    const { rps, us, latencies } = perCopy.get(copy.name)!;
    const stats = summarize(latencies);
    return [
      copy.name,
      median(us).toFixed(0),
      median(rps).toFixed(0),
      stats.p50.toFixed(1),
      stats.p99.toFixed(1),
    ];
  });
  const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;
  process.stdout.write(
    `${markdownTable([['web copy, `GET /` signed out', 'CPU µs / page (median)', 'pages/s (median)', 'p50 ms', 'p99 ms'], ...rows])}\n\n` +
      `Exporting: CPU per page ${pct(median(cpuRatios))}, pages/s ${pct(median(rpsRatios))} (medians of the within-round ratios); ` +
      `${args.rounds} rounds × ${args.seconds} s × 2 copies, ${args.connections} connections; ` +
      `traced copy's extra environment: ${args.env.length ? args.env.join(' ') : 'none'}; ` +
      `${sink.received().exports} exports (${(sink.received().bytes / 1024).toFixed(0)} KiB) received; load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (${new Date().toISOString()})\n`,
  );
} finally {
  for (const copy of copies) copy.child.kill('SIGTERM');
  await system.stop();
  await sink.close();
}
