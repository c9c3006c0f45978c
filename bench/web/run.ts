/**
 * Web client benchmark: server response time of `/` and `/tickets/:id` with 1,000
 * tickets listed (autocannon, p50/p99), and the JavaScript each page ships.
 * Writes the measured part of bench/web/REPORT.md, keeping its "## Findings".
 *
 *   npm run bench:web [-- --tickets 1000 --seconds 10 --connections 10]
 *
 * Starts its own GitTix (the e2e harness: services from source, production web
 * build) unless GITTIX_BENCH_BASE_URL points at a running one; drops what it
 * created at the end.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { testInfra, testRunId } from '@gittix/common/testing';
import { ApiClient } from '../../e2e/harness/client.js';
import { dropRunData } from '../../scripts/system/run-data.js';
import { inParallel } from '../harness/api.js';
import { runLoad } from '../harness/load.js';
import { markdownTable } from '../harness/markdown.js';
import { summarize } from '../harness/stats.js';
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

/** One target under load: what a visitor waits, in ms. */
async function measure(baseUrl: string, connections: number, path: string, cookie = '') {
  const headers: Record<string, string> = cookie ? { cookie } : {};
  const result = await runLoad({
    url: baseUrl,
    connections,
    seconds: settings.seconds,
    request: () => ({ path, headers }),
  });
  const errors = Object.entries(result.statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, result.errors);
  return { ...summarize(result.latencies), rps: result.requests / result.seconds, errors };
}

function renderMeasured(latencies: string[][], weights: PageWeight[]): string {
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const { rows, sharedGzipBytes } = weightRows(weights);
  return [
    `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(2)}),`,
    `${settings.tickets} tickets listed, autocannon for ${settings.seconds} s per row with 1 and ${settings.connections} connections,`,
    'everything through the gateway, `next start` production build.',
    '',
    markdownTable([
      ['target', 'connections', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors'],
      ...latencies,
    ]),
    '',
    'JavaScript a first visit downloads (every module `<script src>` in the HTML; ids shortened):',
    `${kb(sharedGzipBytes)} KiB gzip of it is shared by every page (React, the Next runtime, the layout).`,
    '',
    markdownTable([
      ['page', 'scripts', 'raw KiB', 'gzip KiB', 'page-specific gzip KiB'],
      ...rows.map((r) => [
        r.page.replace(/[0-9a-f-]{36}/, ':id'),
        String(r.scripts),
        kb(r.rawBytes),
        kb(r.gzipBytes),
        kb(r.ownGzipBytes),
      ]),
    ]),
  ].join('\n');
}

async function writeReport(measured: string): Promise<void> {
  const previous = await readFile(args.report, 'utf8').catch(() => '');
  const findings = previous.includes('## Findings')
    ? previous.slice(previous.indexOf('## Findings'))
    : '## Findings\n\n(Not written yet.)\n';
  const report = `# Web client benchmark\n\nRun: \`npm run bench:web\`\n\n## Measured\n\n${measured}\n\n${findings}`;
  await writeFile(args.report, report);
}

async function main(): Promise<void> {
  const external = process.env.GITTIX_BENCH_BASE_URL;
  const system = external
    ? { baseUrl: external.replace(/\/$/, ''), stop: async () => {} }
    : await (await import('../../e2e/harness/system.js')).startSystem();
  try {
    const { baseUrl } = system;
    const seller = new ApiClient(baseUrl);
    const buyer = new ApiClient(baseUrl);
    await seller.signUp('seller');
    await buyer.signUp('buyer');
    process.stderr.write(`seeding ${settings.tickets} tickets…\n`);
    const titles = Array.from({ length: settings.tickets }, (_, n) => n);
    const ids = await inParallel(titles, 20, async (n) => {
      const created = await seller.post<{ id: string }>('/api/tickets', {
        title: `Benchmark show ${n}`,
        price: 10 + (n % 90) + 0.5,
      });
      return created.body.id;
    });
    const ticketId = ids[Math.floor(ids.length / 2)]!;
    const placed = await buyer.post<{ id: string }>('/api/orders', { ticketId: ids[0] });

    const targets: [string, string, string?][] = [
      ['API `GET /api/tickets?available=true&limit=24`', '/api/tickets?available=true&limit=24'],
      ['`/` signed out', '/'],
      ['`/` signed in', '/', buyer.cookieHeader],
      ['`/?q=show 99`', '/?q=show%2099'],
      ['API `GET /api/tickets/:id`', `/api/tickets/${ticketId}`],
      ['`/tickets/:id` signed out', `/tickets/${ticketId}`],
      ['`/tickets/:id` signed in', `/tickets/${ticketId}`, buyer.cookieHeader],
    ];
    const latencies: string[][] = [];
    // One connection shows what a single visitor waits; several show how it holds up under load.
    for (const connections of [1, settings.connections]) {
      for (const [target, path, cookie] of targets) {
        process.stderr.write(`measuring ${target} with ${connections} connection(s)…\n`);
        const m = await measure(baseUrl, connections, path, cookie);
        latencies.push([
          target,
          String(connections),
          String(m.count),
          m.rps.toFixed(0),
          ...[m.p50, m.p90, m.p99].map((v) => v.toFixed(1)),
          String(m.errors),
        ]);
      }
    }

    const weights = [
      await pageWeight(baseUrl, '/'),
      await pageWeight(baseUrl, `/tickets/${ticketId}`, buyer.cookieHeader),
      await pageWeight(baseUrl, '/auth/signin'),
      await pageWeight(baseUrl, '/tickets/new', seller.cookieHeader),
      await pageWeight(baseUrl, `/orders/${placed.body.id}`, buyer.cookieHeader),
      await pageWeight(baseUrl, '/orders', buyer.cookieHeader),
    ];
    const measured = renderMeasured(latencies, weights);
    process.stdout.write(`${measured}\n`);
    await writeReport(measured);
  } finally {
    await system.stop();
    if (!external) await dropRunData(`gx_${testRunId()}_`, testInfra);
  }
}

await main();
