/**
 * What one refusal costs the refusing process, in CPU µs: a service app (the
 * shared createServiceApp, logging at info to a file as in the benchmark) with
 * `ADMISSION_MAX_IN_FLIGHT=1` and one request held, so every other request is
 * refused; `--requests` are sent over kept-alive connections and the server
 * process's CPU (/proc) is divided by them. CPU time, not throughput: it holds on
 * a machine that other work keeps busy.
 *
 *   npx tsx --conditions=@gittix/source bench/overload/refusal-cost.ts [--requests 20000] [--connections 50] [--open-loop 2000]
 *
 * `--open-loop N` then offers N requests/s for 5 s with the overload phase's open-loop
 * generator and reports its CPU per request sent as well.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../harness/load.js';
import { offerLoad } from './open-loop.js';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    requests: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '50' },
    'open-loop': { type: 'string', default: '0' },
  },
});

/** The refusing server: one route that never answers, one place. */
async function serve(): Promise<void> {
  const { createServiceApp, admissionSettingsFrom, admissionConfigSchema } = await import(
    '@gittix/common'
  );
  const pino = (await import('pino')).default;
  const app = await createServiceApp({
    name: 'refusing',
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
    admission: admissionSettingsFrom(admissionConfigSchema.parse({ ADMISSION_MAX_IN_FLIGHT: '1' })),
  });
  app.post('/work', () => new Promise(() => {}));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${address}\n`);
}

/** utime + stime of a process, µs. */
async function cpuMicros(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function measure(): Promise<void> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const base = line.toString().trim();
    // The one place, taken for the whole run.
    const held = httpRequest(`${base}/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    held.on('error', () => {});
    held.end('{}');
    const body = JSON.stringify({ ticketId: '00000000-0000-0000-0000-000000000000' });
    const send = (amount: number) =>
      runLoad({
        url: base,
        connections: Number(args.connections),
        amount,
        method: 'POST',
        request: () => ({
          path: '/work',
          body,
          headers: { 'content-type': 'application/json' },
        }),
      });
    await send(2_000); // warm-up
    const before = await cpuMicros(child.pid!);
    const result = await send(Number(args.requests));
    const used = (await cpuMicros(child.pid!)) - before;
    const refused = result.statuses['503'] ?? 0;
    process.stdout.write(
      `${JSON.stringify({ requests: result.requests, refused, statuses: result.statuses, cpuMicrosPerRefusal: Math.round(used / Math.max(1, refused)), perSecond: Math.round(result.requests / result.seconds) })}\n`,
    );
    // The overload phase's own open-loop generator (keep-alive agent), at a fixed
    // rate: its CPU per request sent, and the server's per refusal.
    const rate = Number(args['open-loop']);
    if (rate > 0) {
      const serverBefore = await cpuMicros(child.pid!);
      const ownBefore = process.cpuUsage();
      const open = await offerLoad({
        url: base,
        perSecond: rate,
        seconds: 5,
        request: () => ({
          method: 'POST',
          path: '/work',
          body,
          headers: { 'content-type': 'application/json' },
        }),
      });
      const own = process.cpuUsage(ownBefore);
      const server = (await cpuMicros(child.pid!)) - serverBefore;
      process.stdout.write(
        `${JSON.stringify({ openLoopPerSecond: rate, sent: open.sent, statuses: open.statuses, wallSeconds: open.wallSeconds, generatorCpuMicrosPerRequest: Math.round((own.user + own.system) / open.sent), serverCpuMicrosPerRefusal: Math.round(server / Math.max(1, open.refusedWithRetryAfter)) })}\n`,
      );
    }
    held.destroy();
  } finally {
    child.kill();
  }
}

if (args.serve) await serve();
else await measure();
