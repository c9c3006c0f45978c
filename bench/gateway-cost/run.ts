/**
 * `npm run bench:gateway-cost`: the gateway's CPU per proxied GET, and what each of
 * its pieces adds (issue 18's read path). One stub upstream answering at once and
 * several gateways in front of it, each with one piece left out (buildApp's
 * `without`), plus floors: a bare Fastify route calling undici, and node:http alone.
 * Every burst loads one gateway; its process CPU (/proc, utime + stime) over the
 * requests it answered is its µs per request. Bursts alternate over the variants,
 * the order rotating each round, so the machine's other work hits them all alike;
 * the median over rounds is reported (and each variant's difference to `full`).
 *
 *   npm run bench:gateway-cost -- [--seconds 3] [--rounds 5] [--connections 10]
 *                                  [--only full,no-tracing,…]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort } from '../../scripts/system/network.js';
import { runLoad } from '../harness/load.js';
import { median } from '../harness/stats.js';
import { startOtlpSink } from '../tracing-cost/sink.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    before: { type: 'string' },
    /** Every gateway under `node --cpu-prof`, its profile written here on exit. */
    'cpu-prof-dir': { type: 'string' },
  },
});

interface Variant {
  name: string;
  env: Record<string, string>;
  /** node:http alone (bench/read-path/reference-proxy.ts). */
  bare?: boolean;
  /** Node flags of its process, e.g. a larger young generation. */
  nodeArgs?: string[];
}

/** V8's new space at 64 MB a half instead of 16: objects living one request die young. */
const SEMI_SPACE_64 = ['--max-semi-space-size=64'];

const ALL: Variant[] = [
  { name: 'full', env: {} },
  { name: 'tracing exported', env: { OTLP: 'sink' } },
  { name: 'full (semi-space 64 MB)', env: {}, nodeArgs: SEMI_SPACE_64 },
  { name: 'tracing exported (semi-space 64 MB)', env: { OTLP: 'sink' }, nodeArgs: SEMI_SPACE_64 },
  { name: 'no tracing', env: { WITHOUT: 'tracing' } },
  { name: 'no x-request-id header', env: { WITHOUT: 'requestIdHeader' } },
  { name: 'no close-gracefully onSend', env: { WITHOUT: 'closeGracefully' } },
  { name: 'no onRequest checks', env: { WITHOUT: 'checks' } },
  { name: 'no metrics', env: { WITHOUT: 'metrics' } },
  { name: 'no admission', env: { WITHOUT: 'admission' } },
  { name: 'no access log', env: { LOG_LEVEL: 'warn' } },
  {
    name: 'none (Fastify + reply-from routes)',
    env: {
      WITHOUT: 'tracing,requestIdHeader,closeGracefully,checks,metrics,admission',
      LOG_LEVEL: 'warn',
    },
  },
  { name: 'Fastify + undici route', env: { VARIANT: 'undici', LOG_LEVEL: 'warn' } },
  { name: 'node:http proxy', env: {}, bare: true },
];
// `--before <folder>`: the same gateway from an older checkout's source (`git archive <commit>
// packages/common/src services/gateway/src | tar -x -C <folder>`, its `@gittix/common` imports
// made relative), measured alongside: `before: full`, `before: tracing exported`.
if (args.before) {
  const SOURCE = `${args.before}/services/gateway/src/app.ts`;
  ALL.push(
    { name: 'before: full', env: { SOURCE } },
    { name: 'before: tracing exported', env: { SOURCE, OTLP: 'sink' } },
  );
}
const only = args.only?.split(',');
const variants = only ? ALL.filter((v) => only.includes(v.name)) : ALL;
const profileDir = args['cpu-prof-dir'];
const say = (line: string) => process.stderr.write(`[gateway-cost] ${line}\n`);

/** utime + stime of a process, seconds (/proc ticks at 100 Hz). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function start(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = fork(new URL(script, import.meta.url).pathname, {
    execArgv: [
      ...nodeArgs,
      '--conditions=@gittix/source',
      '--import',
      'tsx',
      ...(profileDir && script === GATEWAY
        ? // A folder per gateway: tsx's loader thread writes a profile of its own there too.
          ['--cpu-prof', '--cpu-prof-dir', `${profileDir}/${env.NAME}`]
        : []),
    ],
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** The gateway under test: a service's insides, so its script lives with the service. */
const GATEWAY = '../../services/gateway/bench/cost-gateway.ts';

const sink = await startOtlpSink();
const upstream = await start('./upstream.ts', {});
const running: Array<{ variant: Variant; child: ChildProcess; url: string }> = [];
try {
  for (const variant of variants) {
    const env: Record<string, string> = {
      ...variant.env,
      UPSTREAM: upstream.url,
      NAME: variant.name.replace(/[^a-z0-9]+/gi, '-'),
    };
    if (env.OTLP) env.OTLP = sink.endpoint;
    const started = variant.bare
      ? await start('../read-path/reference-proxy.ts', env)
      : await start(GATEWAY, env, variant.nodeArgs);
    running.push({ variant, ...started });
  }
  const burst = (url: string, seconds: number) =>
    runLoad({
      url,
      connections: Number(args.connections),
      seconds,
      request: (n) => ({
        path: `/api/tickets/0b5f3d2c-6a51-4b0e-9a8e-${String(n % 1000).padStart(12, '0')}`,
      }),
    });
  say(
    `load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; warming up`,
  );
  for (const r of running) await burst(r.url, 2);
  const perVariant = new Map<string, { us: number[]; rps: number[] }>();
  const loads: number[] = [];
  for (let round = 0; round < Number(args.rounds); round++) {
    for (let i = 0; i < running.length; i++) {
      const r = running[(i + round) % running.length]!;
      const before = cpuSeconds(r.child.pid!);
      const result = await burst(r.url, Number(args.seconds));
      const used = cpuSeconds(r.child.pid!) - before;
      const bad = Object.entries(result.statuses).filter(([code]) => !code.startsWith('2'));
      // A stray 408 on a starved machine is reported, not fatal; anything else is a broken variant.
      if (bad.some(([code, n]) => code !== '408' || n > result.requests / 100))
        throw new Error(`${r.variant.name}: ${JSON.stringify(result.statuses)}`);
      const entry = perVariant.get(r.variant.name) ?? { us: [], rps: [] };
      entry.us.push((used / result.requests) * 1e6);
      entry.rps.push(result.requests / result.seconds);
      perVariant.set(r.variant.name, entry);
    }
    loads.push(loadavg()[0]!);
    say(`round ${round + 1}/${args.rounds} done, load ${loadavg()[0]!.toFixed(1)}`);
  }
  const full = median(perVariant.get('full')?.us ?? [Number.NaN]);
  const lines = [
    `| variant | CPU µs / request (median) | Δ vs full | lowest round | req/s (median) | µs per round |`,
    `| --- | ---: | ---: | ---: | ---: | --- |`,
  ];
  for (const { variant } of running) {
    const { us, rps } = perVariant.get(variant.name)!;
    const m = median(us);
    lines.push(
      `| ${variant.name} | ${m.toFixed(0)} | ${(m - full).toFixed(0)} | ${Math.min(...us).toFixed(0)} | ${median(rps).toFixed(0)} | ${us.map((u) => u.toFixed(0)).join(', ')} |`,
    );
  }
  process.stdout.write(
    `${lines.join('\n')}\n\n${args.rounds} rounds × ${args.seconds} s × ${running.length} variants, ${args.connections} connections; load average during the rounds ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (${new Date().toISOString()})\n`,
  );
} finally {
  // Each gateway exits once closed (writing its profile first when profiled).
  await Promise.all(
    [...running, upstream].map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.child.exitCode !== null) return resolve();
          const timer = setTimeout(() => r.child.kill('SIGKILL'), 5_000);
          r.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          r.child.kill('SIGTERM');
        }),
    ),
  );
  await sink.close();
}
