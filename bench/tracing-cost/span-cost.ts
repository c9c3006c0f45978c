/**
 * `npm run bench:tracing:spans`: the CPU one traced request costs its process, apart
 * from everything else a service does. Each variant runs in a fresh process that makes
 * the spans a tickets read makes (a SERVER span with the attributes tracingPlugin sets,
 * a `pg SELECT` CLIENT span with its statement inside its context) and exports them to
 * a receiver in this process, which counts the spans that arrived (at most 2,000
 * requests/s, what one tickets process serves); its CPU time
 * (process.cpuUsage) over the requests, with the spans flushed, is the cost. The
 * variants alternate, `--repeats` times each; the least of the repeats is reported, as
 * the rest of a shared machine only ever adds to a process's CPU time. Beside the
 * process's CPU (every thread), the main thread's alone (/proc/self/task/<pid>/stat, in
 * clock ticks): what a variant exporting from a worker thread leaves on the thread that
 * serves requests.
 *
 *   npm run bench:tracing:spans -- [--requests 20000] [--repeats 3] [--only worker,512]
 *
 * --only keeps the variants whose names contain one of the words (and the two
 * references, "no span made" and "off").
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startOtlpReceiver } from '@gittix/common/testing';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { machineNow } from '../harness/machine.js';
import { median } from '../harness/stats.js';
import { WorkerSpanProcessor } from './worker-export.js';

interface Variant {
  name: string;
  /** No span at all: the loop alone, what "off" is compared with. */
  bare?: true;
  protocol?: 'http/json' | 'http/protobuf';
  batch?: { maxExportBatchSize: number; maxQueueSize: number; scheduledDelayMillis: number };
  /** Serialise and send in a worker thread (WorkerSpanProcessor) instead of this one. */
  worker?: true;
}

const VARIANTS: Variant[] = [
  { name: 'no span made (the loop alone)', bare: true },
  { name: 'off (AlwaysOff, no exporter)' },
  {
    name: 'JSON, batches of 512 (before)',
    protocol: 'http/json',
    batch: { maxExportBatchSize: 512, maxQueueSize: 2_048, scheduledDelayMillis: 500 },
  },
  {
    name: 'protobuf, batches of 512, queue 8192 (initTracing now)',
    protocol: 'http/protobuf',
    batch: { maxExportBatchSize: 512, maxQueueSize: 8_192, scheduledDelayMillis: 500 },
  },
  {
    name: 'protobuf, batches of 64, every 100 ms',
    protocol: 'http/protobuf',
    batch: { maxExportBatchSize: 64, maxQueueSize: 8_192, scheduledDelayMillis: 100 },
  },
  {
    name: 'protobuf, worker thread (batches of 512)',
    protocol: 'http/protobuf',
    batch: { maxExportBatchSize: 512, maxQueueSize: 8_192, scheduledDelayMillis: 500 },
    worker: true,
  },
  {
    name: 'JSON, batches of 2048',
    protocol: 'http/json',
    batch: { maxExportBatchSize: 2_048, maxQueueSize: 8_192, scheduledDelayMillis: 1_000 },
  },
  {
    name: 'protobuf, batches of 2048',
    protocol: 'http/protobuf',
    batch: { maxExportBatchSize: 2_048, maxQueueSize: 8_192, scheduledDelayMillis: 1_000 },
  },
];

/** What tickets' GET /api/tickets/:id sends Postgres (Kysely's text, as the span carries it). */
const STATEMENT =
  'select "id", "title", "price_cents", "currency", "user_id", "version", "order_id", "status", "event_id", "created_at", "updated_at" from "tickets" where "id" = $1';

/** This process's main thread's CPU so far, µs (clock ticks of 10 ms: utime + stime). */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** In the child: make `requests` traced requests' spans, flush, report CPU µs per request (process, main thread). */
async function measure(
  variant: Variant,
  endpoint: string,
  requests: number,
): Promise<[number, number]> {
  const exporting = variant.protocol !== undefined;
  const Exporter = variant.protocol === 'http/json' ? JsonTraceExporter : ProtobufTraceExporter;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'span-cost' }),
    sampler: exporting ? new AlwaysOnSampler() : new AlwaysOffSampler(),
    spanProcessors: !exporting
      ? []
      : variant.worker
        ? [
            new WorkerSpanProcessor({
              url: `${endpoint}/v1/traces`,
              protocol: variant.protocol ?? 'http/protobuf',
              batch: { exportTimeoutMillis: 30_000, ...variant.batch! },
            }),
          ]
        : [new BatchSpanProcessor(new Exporter({ url: `${endpoint}/v1/traces` }), variant.batch)],
  });
  const tracer = provider.getTracer('@gittix/common');
  const request = (n: number) => {
    if (variant.bare) {
      context.with(ROOT_CONTEXT, () => Date.now());
      return;
    }
    const span = tracer.startSpan('GET /api/tickets/:id', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': 'GET',
        'http.route': '/api/tickets/:id',
        'url.path': `/api/tickets/0000000-${n}`,
        'gittix.request_id': `req-${n}`,
      });
    }
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
      const now = Date.now();
      const query = tracer.startSpan('pg SELECT', {
        kind: SpanKind.CLIENT,
        startTime: now - 1,
        attributes: { 'db.system.name': 'postgresql', 'db.query.text': STATEMENT },
      });
      query.end(now);
    });
    if (span.isRecording()) span.setAttribute('http.response.status_code', 200);
    span.end();
  };
  const run = async (count: number) => {
    for (let n = 0; n < count; n++) {
      request(n);
      // At most 2,000 requests/s, what one tickets process serves on a quiet machine:
      // the exporter sends a batch at a time, and a service leaves it time between requests.
      if (n % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await provider.forceFlush();
  };
  // Warm the JIT (and the exporter's connection) before measuring.
  await run(2_000);
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuUs();
  await run(requests);
  const used = process.cpuUsage(before);
  const mainUsed = mainThreadCpuUs() - mainBefore;
  await provider.shutdown();
  return [(used.user + used.system) / requests, mainUsed / requests];
}

if (process.send) {
  const { variant, endpoint, requests } = JSON.parse(process.env.SPAN_COST_JOB!) as {
    variant: Variant;
    endpoint: string;
    requests: number;
  };
  process.send(await measure(variant, endpoint, requests));
  process.disconnect();
} else {
  const { values: args } = parseArgs({
    options: {
      requests: { type: 'string', default: '20000' },
      repeats: { type: 'string', default: '3' },
      only: { type: 'string' },
    },
  });
  const requests = Number(args.requests);
  const only = args.only?.split(',').map((word) => word.trim());
  const measured = VARIANTS.filter(
    (v, i) => i < 2 || !only || only.some((word) => v.name.includes(word)),
  );
  const say = (line: string) => process.stderr.write(`[bench:tracing:spans] ${line}\n`);
  say(`machine: load ${machineNow().load.join(' ')}`);
  const results = new Map<string, number[]>();
  const mainResults = new Map<string, number[]>();
  const dropped = new Map<string, number>();
  for (let repeat = 0; repeat < Number(args.repeats); repeat++) {
    for (let i = 0; i < measured.length; i++) {
      const variant = measured[(i + repeat) % measured.length]!;
      const receiver = await startOtlpReceiver();
      const child = fork(fileURLToPath(import.meta.url), {
        execArgv: ['--conditions=@gittix/source', '--import', 'tsx'],
        env: {
          ...process.env,
          SPAN_COST_JOB: JSON.stringify({ variant, endpoint: receiver.endpoint, requests }),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [perRequest, mainPerRequest] = await new Promise<[number, number]>(
        (resolve, reject) => {
          child.once('message', (m) => resolve(m as [number, number]));
          child.once('exit', (code) => reject(new Error(`variant ${variant.name} exited ${code}`)));
        },
      );
      const expected = variant.protocol && !variant.bare ? 2 * (requests + 2_000) : 0;
      const received = receiver.spans().length;
      await receiver.close();
      // A full queue drops spans: fewer serialised, so a cost that looks lower than it is.
      dropped.set(variant.name, (dropped.get(variant.name) ?? 0) + expected - received);
      results.set(variant.name, [...(results.get(variant.name) ?? []), perRequest]);
      mainResults.set(variant.name, [...(mainResults.get(variant.name) ?? []), mainPerRequest]);
      say(
        `${variant.name}: ${perRequest.toFixed(1)} µs/request (main thread ${mainPerRequest.toFixed(1)}), ${expected - received} spans dropped`,
      );
    }
  }
  // The least: on a shared machine, others only ever add to a process's CPU time.
  const least = (name: string) => Math.min(...results.get(name)!);
  const bare = least(VARIANTS[0]!.name);
  const off = least(VARIANTS[1]!.name);
  const leastMain = (name: string) => Math.min(...mainResults.get(name)!);
  const offMain = leastMain(VARIANTS[1]!.name);
  const lines = [
    `| spans of one traced read (SERVER + pg), ${requests} requests × ${args.repeats} | CPU µs/request, least of repeats | over off (off: over no span) | median of repeats | main thread's CPU µs/request, least (over off) | spans dropped (all repeats) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...measured.map((v) => {
      const us = least(v.name);
      const over = v.bare ? '—' : `+${(us - (v.protocol ? off : bare)).toFixed(1)}`;
      return `| ${v.name} | ${us.toFixed(1)} | ${over} | ${median(results.get(v.name)!).toFixed(1)} | ${leastMain(v.name).toFixed(1)}${v.protocol ? ` (+${(leastMain(v.name) - offMain).toFixed(1)})` : ''} | ${dropped.get(v.name) ?? 0} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n\nload after: ${machineNow().load.join(' ')}\n`);
}
