/**
 * Ticket files under load: memory of the gateway and the tickets service while
 * `--clients` clients (default 20) each upload a 2 MB ticket file and download it
 * again, `--rounds` times, all in parallel. RSS of both processes is sampled
 * (/proc/<pid>/status, every 50 ms) before, during and after; the bodies stream
 * (nothing buffers a whole file), so RSS should rise by far less than the
 * clients × 2 MB in flight, and fall back. Writes bench/files/REPORT.md.
 *
 *   npm run bench:files [-- --clients 20 --rounds 3]
 *
 * Starts auth, tickets and the gateway from source on databases of its own
 * (files stored in Postgres; S3 is not measured), and drops them at the end.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TICKET_FILE_MAX_BYTES } from '@gittix/common';
import { testInfra } from '@gittix/common/testing';
import { dropRunData } from '../../scripts/system/run-data.js';
import { isolatedSettings, startSystem } from '../../scripts/system/system.js';
import { markdownTable } from '../harness/markdown.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    report: { type: 'string', default: new URL('./REPORT.md', import.meta.url).pathname },
  },
});
const clients = Number(args.clients);
const rounds = Number(args.rounds);
const MB = 1024 * 1024;

/** Resident memory of a process, in bytes. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb * 1024;
}

type Phase = 'before' | 'during' | 'after';
type Samples = Record<string, Record<Phase, number[]>>;

function sampler(pids: Record<string, number>) {
  const samples: Samples = {};
  for (const name of Object.keys(pids)) samples[name] = { before: [], during: [], after: [] };
  let phase: Phase = 'before';
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) {
      void rssOf(pid).then((rss) => samples[name]?.[phase].push(rss));
    }
  }, 50);
  return {
    samples,
    enter(next: Phase) {
      phase = next;
    },
    stop: () => clearInterval(timer),
  };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const name = `gx_bfiles_${randomBytes(3).toString('hex')}`;
  const settings = await isolatedSettings({ infra: testInfra, name, logLevel: 'warn' });
  const system = await startSystem({
    settings,
    mode: 'source',
    only: ['auth', 'tickets', 'gateway'],
    logDir: join('test-output', 'bench-files'),
  });
  const pids = { gateway: system.pidOf('gateway'), tickets: system.pidOf('tickets') };
  if (!pids.gateway || !pids.tickets) throw new Error('gateway or tickets did not start');
  const base = system.baseUrl;
  try {
    const signUp = await fetch(`${base}/api/users/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-${name}@example.test`, password: 'bench password 1' }),
    });
    const cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const tickets: string[] = [];
    for (let i = 0; i < clients; i += 1) {
      const response = await fetch(`${base}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ title: `Bench ticket ${i}`, price: 10 }),
      });
      tickets.push(((await response.json()) as { id: string }).id);
    }
    const files = tickets.map(() =>
      Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(TICKET_FILE_MAX_BYTES - 9)]),
    );

    const rss = sampler({ gateway: pids.gateway, tickets: pids.tickets });
    await wait(2_000);
    rss.enter('during');
    const started = performance.now();
    let mismatches = 0;
    let failures = 0;
    await Promise.all(
      tickets.map(async (id, i) => {
        const file = files[i] as Buffer;
        for (let round = 0; round < rounds; round += 1) {
          const put = await fetch(`${base}/api/tickets/${id}/file`, {
            method: 'PUT',
            headers: { 'content-type': 'application/pdf', cookie },
            body: new Blob([new Uint8Array(file)]),
          });
          if (put.status !== 204) failures += 1;
          const got = await fetch(`${base}/api/tickets/${id}/file`, { headers: { cookie } });
          const hash = createHash('sha256');
          // Read as a stream, hashing as it comes: the client buffers nothing either.
          const reader = got.body?.getReader();
          for (let next = await reader?.read(); next && !next.done; next = await reader?.read()) {
            hash.update(next.value);
          }
          if (hash.digest('hex') !== createHash('sha256').update(file).digest('hex')) {
            mismatches += 1;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    rss.enter('after');
    await wait(3_000);
    rss.stop();

    const transfers = clients * rounds;
    const mb = (bytes: number) => (bytes / MB).toFixed(1);
    const rows = Object.entries(rss.samples).map(([service, phases]) => {
      const before = Math.max(...phases.before);
      const during = Math.max(...phases.during);
      const after = phases.after.at(-1) ?? Number.NaN;
      return [service, mb(before), mb(during), mb(during - before), mb(after)];
    });
    const inFlight = clients * (TICKET_FILE_MAX_BYTES / MB);
    const report = [
      '# Ticket files: memory under parallel uploads and downloads',
      '',
      `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(2)} at the end), by \`npm run bench:files -- --clients ${clients} --rounds ${rounds}\`: ${clients} clients in parallel, each uploading a 2 MB PDF through the gateway and downloading it again, ${rounds} times (${transfers} uploads + ${transfers} downloads, ${mb(2 * transfers * TICKET_FILE_MAX_BYTES)} MB moved in ${seconds.toFixed(1)} s; ${failures} failed uploads, ${mismatches} downloads whose SHA-256 differed). Files stored in Postgres (chunks of 256 KiB).`,
      '',
      'Resident memory (MB), sampled every 50 ms: the highest before (2 s idle) and during the run, the rise, and the last sample 3 s after.',
      '',
      markdownTable([['process', 'before', 'during (max)', 'rise', 'after'], ...rows]),
      '',
      `With ${clients} files of 2 MB in flight at once (${inFlight.toFixed(0)} MB), a process that buffered each whole body would rise by at least that much; a rise well below it, back down after, is the streaming at work.`,
      '',
    ].join('\n');
    await writeFile(args.report, report);
    process.stdout.write(report);
  } finally {
    await system.stop();
    await dropRunData(`${name}_`, testInfra);
  }
}

await main();
