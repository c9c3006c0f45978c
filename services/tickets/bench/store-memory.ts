/**
 * The tickets service's file store alone, in this process (a bench of the service's
 * internals, so it lives with the service: bench/ reaches GitTix only through its entry points), so its memory can be
 * split (RSS vs V8 heap vs external/arrayBuffers, which `/proc` cannot show):
 * `--clients` parallel clients each stream a 2 MB file into the Postgres store
 * (as a request body arrives, in 64 KiB pieces) and read it back, `--rounds`
 * times. process.memoryUsage() is sampled every 50 ms before, during and after,
 * and once more after a forced GC, so memory still reachable (a leak) is told
 * apart from garbage not yet collected and from pages the allocator keeps.
 *
 *   npx tsx --conditions=@gittix/source --expose-gc services/tickets/bench/store-memory.ts \
 *     [--clients 20] [--rounds 2] [--chunk-kib 256] [--idle-s 10]
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { TICKET_FILE_MAX_BYTES } from '@gittix/common';
import { startTestService } from '@gittix/common/testing';
import { postgresFileStore } from '../src/files/store.js';
import { ticketsService } from '../src/service.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    'chunk-kib': { type: 'string', default: '256' },
    'idle-s': { type: 'string', default: '10' },
  },
});
const clients = Number(args.clients);
const rounds = Number(args.rounds);
const MB = 1024 * 1024;
const exposedGc = (globalThis as { gc?: () => void }).gc;
if (!exposedGc) throw new Error('run with --expose-gc (npm run bench:files:store)');
const gc: () => void = exposedGc;

type Sample = NodeJS.MemoryUsage;
const keys = ['rss', 'heapUsed', 'external', 'arrayBuffers'] as const;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const service = await startTestService(ticketsService, {});
  const store = postgresFileStore(service.db, { chunkBytes: Number(args['chunk-kib']) * 1024 });
  try {
    const files = Array.from({ length: clients }, () =>
      Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(TICKET_FILE_MAX_BYTES - 9)]),
    );
    gc();
    const samples: Record<'before' | 'during' | 'after', Sample[]> = {
      before: [],
      during: [],
      after: [],
    };
    let phase: keyof typeof samples = 'before';
    const timer = setInterval(() => samples[phase].push(process.memoryUsage()), 50);
    await wait(1_000);
    phase = 'during';
    const started = performance.now();
    let mismatches = 0;
    await Promise.all(
      files.map(async (file) => {
        for (let round = 0; round < rounds; round += 1) {
          const key = `bench/${randomUUID()}`;
          const body = (async function* () {
            for (let at = 0; at < file.length; at += 64 * 1024) {
              yield file.subarray(at, at + 64 * 1024);
            }
          })();
          await store.put(key, body, file.length);
          const hash = createHash('sha256');
          for await (const piece of await store.get(key, file.length)) hash.update(piece as Buffer);
          if (hash.digest('hex') !== createHash('sha256').update(file).digest('hex'))
            mismatches += 1;
          await store.delete(key);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    phase = 'after';
    await wait(2_000);
    const soon = samples.after.at(-1) as Sample;
    await wait(Number(args['idle-s']) * 1000);
    clearInterval(timer);
    const idle = samples.after.at(-1) as Sample;
    gc();
    gc();
    await wait(200);
    const collected = process.memoryUsage();
    const max = (list: Sample[], key: (typeof keys)[number]) =>
      Math.max(...list.map((s) => s[key]));
    const mb = (n: number) => (n / MB).toFixed(1).padStart(7);
    process.stdout.write(
      `${clients} clients x ${rounds} rounds of 2 MB put+get through postgresFileStore (${args['chunk-kib']} KiB chunks) in ${seconds.toFixed(1)} s, ${mismatches} mismatches\n` +
        `${'MB'.padEnd(13)}${['before', 'during max', 'after 2 s', `idle ${args['idle-s']} s`, 'after GC'].map((h) => h.padStart(11)).join('')}\n` +
        keys
          .map(
            (key) =>
              `${key.padEnd(13)}${[max(samples.before, key), max(samples.during, key), soon[key], idle[key], collected[key]].map((n) => mb(n).padStart(11)).join('')}`,
          )
          .join('\n') +
        '\n',
    );
  } finally {
    await service.close();
  }
}

await main();
