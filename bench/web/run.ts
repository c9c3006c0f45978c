/**
 * Web client benchmark: server response time of `/` and `/tickets/:id` with 1,000
 * tickets listed (autocannon, p50/p99), and the JavaScript each page ships.
 * Writes the measured part of bench/web/REPORT.md, keeping its "## Findings".
 *
 *   npx tsx --conditions=@gittix/source bench/web/run.ts [--tickets 1000] [--seconds 10] [--connections 10]
 *
 * Starts its own GitTix (the e2e harness, production web build) unless
 * GITTIX_BENCH_BASE_URL points at a running one; drops what it created at the end.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type PageWeight, pageWeight, weightRows } from './js-weight.js';

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    report: { type: 'string', default: new URL('./REPORT.md', import.meta.url).pathname },
  },
});
const settings = {
  tickets: Number(args.tickets),
  seconds: Number(args.seconds),
  connections: Number(args.connections),
};

process.env.GITTIX_TEST_RUN ??= `b${randomBytes(3).toString('hex')}`;

interface Session {
  cookie: string;
  id: string;
}

async function api<T>(
  baseUrl: string,
  path: string,
  body: unknown,
  cookie?: string,
): Promise<{ data: T; cookie: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  const setCookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { data: (await response.json()) as T, cookie: setCookie || cookie || '' };
}

async function signUp(baseUrl: string, role: string): Promise<Session> {
  const email = `${role}-${randomBytes(4).toString('hex')}@bench.test`;
  const { data, cookie } = await api<{ id: string }>(baseUrl, '/api/users/signup', {
    email,
    password: 'benchmark password',
  });
  return { cookie, id: data.id };
}

/** 1,000 tickets through the public API, 20 at a time. */
async function seedTickets(baseUrl: string, seller: Session, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < count) {
        const n = next++;
        const { data } = await api<{ id: string }>(
          baseUrl,
          '/api/tickets',
          { title: `Benchmark show ${n}`, price: 10 + (n % 90) + 0.5 },
          seller.cookie,
        );
        ids.push(data.id);
      }
    }),
  );
  return ids;
}

interface Latency {
  target: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
}

async function measure(
  baseUrl: string,
  connections: number,
  target: string,
  path: string,
  cookie?: string,
): Promise<Latency> {
  const result = await autocannon({
    url: `${baseUrl}${path}`,
    connections,
    duration: settings.seconds,
    headers: cookie ? { cookie } : {},
  });
  return {
    target,
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

function renderMeasured(latencies: Latency[], weights: PageWeight[]): string {
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const { rows, sharedGzipBytes } = weightRows(weights);
  return [
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(2)}),`,
    `${settings.tickets} tickets listed, autocannon for ${settings.seconds} s per row with 1 and ${settings.connections} connections,`,
    'everything through the gateway, `next start` production build.',
    '',
    '| target | connections | requests | req/s | p50 ms | p90 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...latencies.map(
      (l) =>
        `| ${l.target} | ${l.connections} | ${l.requests} | ${l.rps} | ${l.p50} | ${l.p90} | ${l.p99} | ${l.errors} |`,
    ),
    '',
    'JavaScript a first visit downloads (every module `<script src>` in the HTML; ids shortened):',
    `${kb(sharedGzipBytes)} KiB gzip of it is shared by every page (React, the Next runtime, the layout).`,
    '',
    '| page | scripts | raw KiB | gzip KiB | page-specific gzip KiB |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.page.replace(/[0-9a-f-]{36}/, ':id')} | ${r.scripts} | ${kb(r.rawBytes)} | ${kb(r.gzipBytes)} | ${kb(r.ownGzipBytes)} |`,
    ),
  ].join('\n');
}

async function writeReport(measured: string): Promise<void> {
  const previous = await readFile(args.report, 'utf8').catch(() => '');
  const findings = previous.includes('## Findings')
    ? previous.slice(previous.indexOf('## Findings'))
    : '## Findings\n\n(Not written yet.)\n';
  const report = `# Web client benchmark\n\nRun: \`npx tsx --conditions=@gittix/source bench/web/run.ts\`\n\n## Measured\n\n${measured}\n\n${findings}`;
  await writeFile(args.report, report);
}

async function main(): Promise<void> {
  const external = process.env.GITTIX_BENCH_BASE_URL;
  const system = external
    ? { baseUrl: external.replace(/\/$/, ''), stop: async () => {} }
    : await (await import('../../e2e/harness/system.js')).startSystem();
  try {
    const { baseUrl } = system;
    const seller = await signUp(baseUrl, 'seller');
    const buyer = await signUp(baseUrl, 'buyer');
    process.stderr.write(`seeding ${settings.tickets} tickets…\n`);
    const ids = await seedTickets(baseUrl, seller, settings.tickets);
    const ticketId = ids[Math.floor(ids.length / 2)]!;
    const { data: order } = await api<{ id: string }>(
      baseUrl,
      '/api/orders',
      { ticketId: ids[0] },
      buyer.cookie,
    );

    const latencies: Latency[] = [];
    const targets: [string, string, string?][] = [
      ['API `GET /api/tickets?available=true&limit=24`', '/api/tickets?available=true&limit=24'],
      ['`/` signed out', '/'],
      ['`/` signed in', '/', buyer.cookie],
      ['`/?q=show 99`', '/?q=show%2099'],
      ['API `GET /api/tickets/:id`', `/api/tickets/${ticketId}`],
      ['`/tickets/:id` signed out', `/tickets/${ticketId}`],
      ['`/tickets/:id` signed in', `/tickets/${ticketId}`, buyer.cookie],
    ];
    // One connection shows what a single visitor waits; several show how it holds up under load.
    for (const connections of [1, settings.connections]) {
      for (const [target, path, cookie] of targets) {
        process.stderr.write(`measuring ${target} with ${connections} connection(s)…\n`);
        latencies.push(await measure(baseUrl, connections, target, path, cookie));
      }
    }

    const weights = [
      await pageWeight(baseUrl, '/'),
      await pageWeight(baseUrl, `/tickets/${ticketId}`, buyer.cookie),
      await pageWeight(baseUrl, '/auth/signin'),
      await pageWeight(baseUrl, '/tickets/new', seller.cookie),
      await pageWeight(baseUrl, `/orders/${order.id}`, buyer.cookie),
      await pageWeight(baseUrl, '/orders', buyer.cookie),
    ];
    const measured = renderMeasured(latencies, weights);
    process.stdout.write(`${measured}\n`);
    await writeReport(measured);
  } finally {
    await system.stop();
    if (!external) await (await import('../../scripts/test-global-setup.js')).teardown();
  }
}

await main();
