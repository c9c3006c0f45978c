/**
 * A prototype, measured and not adopted (bench/REPORT.md, "4 December 2026"): a span
 * processor that serialises and sends spans in a worker thread instead of the thread
 * that serves requests. `npm run bench:tracing:spans` runs it as the "worker thread"
 * row; for `npm run bench:tracing` it was wired into initTracing behind a temporary
 * OTEL_GITTIX_EXPORT_THREAD=worker and run as the --variant-env copy. It moves about
 * 6 µs of a traced read's 15 off the request thread but costs about 8 µs more in all,
 * which on two shared cores is what throughput follows.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { type Attributes, TraceFlags } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * What the OTLP exporter reads of a ReadableSpan (otlp-transformer's
 * trace-serializer.js and internal.js: spanContext(), parentSpanContext, name, kind,
 * times, attributes, events, links, status, the dropped counts, resource and
 * instrumentationScope), as plain data that structured clone copies to the worker.
 */
export interface SpanRecord {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  traceFlags: number;
  /** Seconds and nanoseconds of the start and the end (HrTime's two numbers each). */
  startS: number;
  startNs: number;
  endS: number;
  endNs: number;
  attributes: Attributes;
  /** Index into the scopes posted with the batches (each posted once). */
  scope: number;
  statusCode: number;
  /** Left out when empty or zero: fewer values for structured clone to copy. */
  statusMessage?: string;
  traceState?: string;
  parentSpanId?: string;
  parentIsRemote?: true;
  droppedAttributesCount?: number;
  events?: TimedEvent[];
  droppedEventsCount?: number;
  links?: LinkRecord[];
  droppedLinksCount?: number;
}

export interface LinkRecord {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: string | undefined;
  isRemote?: boolean | undefined;
  attributes?: Attributes | undefined;
  droppedAttributesCount?: number | undefined;
}

/** The batch settings, as packages/common's SpanBatchSettings (the OTEL_BSP_* keys). */
interface SpanBatchSettings {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export interface WorkerExportOptions {
  /** The full OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  /** The worker's export batches, timeout and the queue bound (spans buffered or in the worker). */
  batch: SpanBatchSettings;
  /** Spans gathered on the request thread before they are posted to the worker. */
  postBatchSize?: number;
  /** The longest a span waits on the request thread before it is posted (ms). */
  postDelayMillis?: number;
}

/** The worker: rebuilds ReadableSpan-shaped objects and hands them to the OTLP exporter. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { OTLPTraceExporter } = require(workerData.exporterModule);
const exporter = new OTLPTraceExporter({ url: workerData.url, timeoutMillis: workerData.exportTimeoutMillis });
const batchSize = workerData.maxExportBatchSize;
const delay = workerData.scheduledDelayMillis;
let resource;
const scopes = [];
let pending = [];
let exporting = false;
let timer;
let due = false;
let flushes = [];
const traceState = (s) => (s === undefined ? undefined : { serialize: () => s });
const rebuild = (r) => {
  const ctx = { traceId: r.traceId, spanId: r.spanId, traceFlags: r.traceFlags, traceState: traceState(r.traceState), isRemote: false };
  let ns = r.endNs - r.startNs;
  let s = r.endS - r.startS;
  if (ns < 0) { s -= 1; ns += 1e9; }
  return {
    name: r.name,
    kind: r.kind,
    spanContext: () => ctx,
    parentSpanContext: r.parentSpanId === undefined ? undefined : { traceId: r.traceId, spanId: r.parentSpanId, traceFlags: r.traceFlags, isRemote: r.parentIsRemote === true },
    startTime: [r.startS, r.startNs],
    endTime: [r.endS, r.endNs],
    duration: [s, ns],
    ended: true,
    status: r.statusMessage === undefined ? { code: r.statusCode } : { code: r.statusCode, message: r.statusMessage },
    attributes: r.attributes,
    droppedAttributesCount: r.droppedAttributesCount || 0,
    events: r.events || [],
    droppedEventsCount: r.droppedEventsCount || 0,
    links: (r.links || []).map((l) => ({
      context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, traceState: traceState(l.traceState), isRemote: l.isRemote },
      attributes: l.attributes,
      droppedAttributesCount: l.droppedAttributesCount,
    })),
    droppedLinksCount: r.droppedLinksCount || 0,
    resource,
    instrumentationScope: scopes[r.scope],
  };
};
const exportOne = (spans) =>
  new Promise((resolve) => {
    exporter.export(spans, (result) => resolve(result.code === 0));
  });
const drain = async () => {
  if (exporting) return;
  exporting = true;
  while (pending.length >= batchSize || (due && pending.length > 0)) {
    const spans = pending.splice(0, batchSize);
    const ok = await exportOne(spans);
    parentPort.postMessage({ type: 'exported', count: spans.length, ok });
  }
  exporting = false;
  due = false;
  const done = flushes;
  flushes = [];
  for (const id of done) parentPort.postMessage({ type: 'flushed', id });
  if (pending.length > 0 && timer === undefined) schedule();
};
const schedule = () => {
  timer = setTimeout(() => {
    timer = undefined;
    due = true;
    void drain();
  }, delay);
};
parentPort.on('message', (message) => {
  if (message.type === 'spans') {
    if (message.resource) resource = message.resource;
    if (message.scopes) for (const scope of message.scopes) scopes.push(scope);
    for (const r of message.spans) pending.push(rebuild(r));
    if (pending.length >= batchSize) void drain();
    else if (timer === undefined) schedule();
  } else if (message.type === 'flush') {
    flushes.push(message.id);
    due = true;
    void drain();
  } else if (message.type === 'shutdown') {
    exporter.shutdown().finally(() => parentPort.postMessage({ type: 'closed' }));
  }
});
`;

type FromWorker =
  | { type: 'exported'; count: number; ok: boolean }
  | { type: 'flushed'; id: number }
  | { type: 'closed' };

/**
 * A span processor that keeps serialisation and sending off the request thread: onEnd
 * copies what OTLP needs into a plain object, batches of them are posted to a worker
 * thread that runs the OTLP exporter. Spans buffered here plus those in the worker are
 * bounded by `batch.maxQueueSize`: past it new spans are dropped and counted, as the
 * SDK's BatchSpanProcessor does.
 */
export class WorkerSpanProcessor implements SpanProcessor {
  readonly #worker: Worker;
  readonly #postBatchSize: number;
  readonly #postDelayMillis: number;
  readonly #maxQueueSize: number;
  #buffer: SpanRecord[] = [];
  /** Spans posted to the worker and not yet exported by it. */
  #inWorker = 0;
  #dropped = 0;
  #failed = 0;
  #timer: NodeJS.Timeout | undefined;
  #resourceSent = false;
  #flushId = 0;
  readonly #flushes = new Map<number, () => void>();
  #closed: Promise<void> | undefined;
  #dead = false;

  constructor({
    url,
    protocol,
    batch,
    postBatchSize = 64,
    postDelayMillis = 200,
  }: WorkerExportOptions) {
    this.#postBatchSize = postBatchSize;
    this.#postDelayMillis = postDelayMillis;
    this.#maxQueueSize = batch.maxQueueSize;
    const require = createRequire(import.meta.url);
    const exporterModule = require.resolve(
      protocol === 'http/json'
        ? '@opentelemetry/exporter-trace-otlp-http'
        : '@opentelemetry/exporter-trace-otlp-proto',
    );
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        exporterModule,
        url,
        exportTimeoutMillis: batch.exportTimeoutMillis,
        maxExportBatchSize: batch.maxExportBatchSize,
        scheduledDelayMillis: batch.scheduledDelayMillis,
      },
    });
    this.#worker.unref();
    this.#worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.#worker.on('error', () => {
      this.#dead = true;
    });
    this.#worker.on('exit', () => {
      this.#dead = true;
      for (const resolve of this.#flushes.values()) resolve();
      this.#flushes.clear();
    });
  }

  /** Spans dropped because the queue was full (or the worker gone). */
  get droppedSpans(): number {
    return this.#dropped;
  }

  /** Spans whose export failed (the collector refused or did not answer). */
  get failedSpans(): number {
    return this.#failed;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const ctx = span.spanContext();
    if ((ctx.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#dead || this.#buffer.length + this.#inWorker >= this.#maxQueueSize) {
      this.#dropped++;
      return;
    }
    const record: SpanRecord = {
      name: span.name,
      kind: span.kind,
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      traceFlags: ctx.traceFlags,
      startS: span.startTime[0],
      startNs: span.startTime[1],
      endS: span.endTime[0],
      endNs: span.endTime[1],
      attributes: span.attributes,
      scope: this.#scopeIndex(span.instrumentationScope),
      statusCode: span.status.code,
    };
    if (span.status.message) record.statusMessage = span.status.message;
    if (ctx.traceState) record.traceState = ctx.traceState.serialize();
    const parent = span.parentSpanContext;
    if (parent?.spanId) {
      record.parentSpanId = parent.spanId;
      if (parent.isRemote) record.parentIsRemote = true;
    }
    if (span.droppedAttributesCount) record.droppedAttributesCount = span.droppedAttributesCount;
    if (span.events.length > 0) record.events = span.events;
    if (span.droppedEventsCount) record.droppedEventsCount = span.droppedEventsCount;
    if (span.links.length > 0) {
      record.links = span.links.map((link) => ({
        traceId: link.context.traceId,
        spanId: link.context.spanId,
        traceFlags: link.context.traceFlags,
        traceState: link.context.traceState?.serialize(),
        isRemote: link.context.isRemote,
        attributes: link.attributes,
        droppedAttributesCount: link.droppedAttributesCount,
      }));
    }
    if (span.droppedLinksCount) record.droppedLinksCount = span.droppedLinksCount;
    this.#buffer.push(record);
    if (!this.#resourceSent) this.#resource = span.resource;
    if (this.#buffer.length >= this.#postBatchSize) this.#post();
    else this.#timer ??= setTimeout(() => this.#post(), this.#postDelayMillis).unref();
  }

  #resource: ReadableSpan['resource'] | undefined;
  readonly #scopes = new Map<InstrumentationScope, number>();
  /** Scopes met since the last post, sent with the next batch. */
  #newScopes: Array<{ name: string; version?: string; schemaUrl?: string }> = [];

  #scopeIndex(scope: InstrumentationScope): number {
    let index = this.#scopes.get(scope);
    if (index === undefined) {
      index = this.#scopes.size;
      this.#scopes.set(scope, index);
      this.#newScopes.push({
        name: scope.name,
        ...(scope.version ? { version: scope.version } : {}),
        ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}),
      });
    }
    return index;
  }

  #post(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#buffer.length === 0) return;
    const spans = this.#buffer;
    this.#buffer = [];
    this.#inWorker += spans.length;
    const resource =
      !this.#resourceSent && this.#resource
        ? { attributes: this.#resource.attributes, schemaUrl: this.#resource.schemaUrl }
        : undefined;
    this.#resourceSent ||= resource !== undefined;
    const scopes = this.#newScopes;
    if (scopes.length > 0) this.#newScopes = [];
    this.#worker.postMessage({
      type: 'spans',
      spans,
      ...(resource ? { resource } : {}),
      ...(scopes.length > 0 ? { scopes } : {}),
    });
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'exported') {
      this.#inWorker -= message.count;
      if (!message.ok) this.#failed += message.count;
    } else if (message.type === 'flushed') {
      this.#flushes.get(message.id)?.();
      this.#flushes.delete(message.id);
    }
  }

  /** Posts what is buffered and resolves once the worker has exported everything it holds. */
  forceFlush(): Promise<void> {
    if (this.#dead) return Promise.resolve();
    this.#post();
    const id = ++this.#flushId;
    // Keeps the process up until the worker answers (it is unref'd otherwise).
    this.#worker.ref();
    return new Promise<void>((resolve) => {
      this.#flushes.set(id, resolve);
      this.#worker.postMessage({ type: 'flush', id });
    }).finally(() => {
      if (this.#flushes.size === 0 && !this.#dead) this.#worker.unref();
    });
  }

  shutdown(): Promise<void> {
    this.#closed ??= this.forceFlush().then(async () => {
      if (this.#dead) return;
      this.#worker.ref();
      await new Promise<void>((resolve) => {
        const onClosed = (message: FromWorker) => {
          if (message.type !== 'closed') return;
          this.#worker.off('message', onClosed);
          resolve();
        };
        this.#worker.on('message', onClosed);
        this.#worker.once('exit', () => resolve());
        this.#worker.postMessage({ type: 'shutdown' });
      });
      await this.#worker.terminate();
    });
    return this.#closed;
  }
}
