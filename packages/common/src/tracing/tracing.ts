import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  DEFAULT_SPAN_BATCH,
  type OtlpProtocol,
  type SpanBatchSettings,
  type TracesSampler,
} from './settings.js';

export interface TracingOptions {
  /** The resource's `service.name`. */
  serviceName: string;
  /** OTLP/HTTP base URL (`/v1/traces` is appended); no export without it. */
  otlpEndpoint?: string | undefined;
  /** Default http/protobuf, the spec's default: about a third of JSON's bytes and CPU. */
  protocol?: OtlpProtocol | undefined;
  /** Which traces are recorded when exporting; default parentbased_always_on. */
  sampler?: TracesSampler | undefined;
  /** The ratio of the *traceidratio samplers, 0–1; default 1. */
  samplerArg?: number | undefined;
  /** How spans are gathered and sent; DEFAULT_SPAN_BATCH when omitted. */
  batch?: SpanBatchSettings | undefined;
}

let provider: NodeTracerProvider | undefined;
let gittixTracer: Tracer | undefined;
let exported = false;

/**
 * Installs the process's tracer provider once (later calls are ignored): the
 * async-local context, W3C `traceparent` propagation and, only with an OTLP
 * endpoint, the sampler `sampler` names and a batch exporter. Without one, spans are
 * never recorded (AlwaysOff) but still get ids, so `traceparent` is passed on and
 * log lines carry `trace_id` at the cost of a context object per span.
 */
export function initTracing({
  serviceName,
  otlpEndpoint,
  protocol = 'http/protobuf',
  sampler = 'parentbased_always_on',
  samplerArg = 1,
  batch = DEFAULT_SPAN_BATCH,
}: TracingOptions): void {
  if (provider) return;
  const exporting = Boolean(otlpEndpoint);
  exported = exporting;
  const Exporter = protocol === 'http/json' ? JsonTraceExporter : ProtobufTraceExporter;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    sampler: exporting ? samplerOf(sampler, samplerArg) : new AlwaysOffSampler(),
    spanProcessors: exporting
      ? [
          new BatchSpanProcessor(
            new Exporter({ url: `${otlpEndpoint!.replace(/\/$/, '')}/v1/traces` }),
            batch,
          ),
        ]
      : [],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  gittixTracer = trace.getTracer('@gittix/common');
}

/**
 * The sampler OTEL_TRACES_SAMPLER names, with OTEL_TRACES_SAMPLER_ARG as the ratio,
 * behind {@link NoBackgroundRoots}.
 */
export function samplerOf(name: TracesSampler, ratio: number): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return new NoBackgroundRoots(
    name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root,
  );
}

/**
 * Records no INTERNAL span that starts a trace. GitTix's own spans are SERVER,
 * CLIENT, PRODUCER or CONSUMER; INTERNAL ones come from BullMQ's telemetry, whose
 * background loops (fetching the next job, extending locks, the stalled-job check)
 * would each be a one-span trace every few seconds, work no request or event asked
 * for. The same operations inside a job (`complete`, `remove`) have a parent and are
 * sampled as the wrapped sampler says.
 */
export class NoBackgroundRoots implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(
    ctx: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (kind === SpanKind.INTERNAL) {
      const parent = trace.getSpanContext(ctx);
      if (!parent || !isSpanContextValid(parent)) {
        return { decision: SamplingDecision.NOT_RECORD };
      }
    }
    return this.inner.shouldSample(ctx, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `NoBackgroundRoots{${this.inner.toString()}}`;
  }
}

/** Whether spans are recorded and exported (an OTLP endpoint is configured). */
export function isTracingExported(): boolean {
  return exported;
}

/** Exports the spans still buffered and stops exporting (at shutdown). */
export async function shutdownTracing(): Promise<void> {
  const current = provider;
  if (!current) return;
  await current.forceFlush().catch(() => {});
}

/** The tracer of every GitTix seam (HTTP, gateway upstreams, Postgres, outbox, consumers). */
export function tracer(): Tracer {
  // Looked up once: getTracer builds a key string and searches a map on every call.
  gittixTracer ??= trace.getTracer('@gittix/common');
  return gittixTracer;
}

/** W3C headers (`traceparent`, `tracestate`) of `ctx`, for NATS headers, outbox rows and jobs. */
export function traceCarrier(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier (HTTP headers, NATS headers, a stored row) names; root if none. */
export function contextFromCarrier(
  carrier: Record<string, string | string[] | undefined> | undefined | null,
  base: Context = ROOT_CONTEXT,
): Context {
  return carrier ? propagation.extract(base, carrier) : base;
}

/** The active trace and span ids, when there is a valid span (for log lines). */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
}

export interface SpanOptions {
  kind: SpanKind;
  /** Parent context; the active one when omitted. */
  parent?: Context;
  attributes?: Record<string, string | number | boolean>;
}

/**
 * Runs `fn` inside a new span (active for everything `fn` awaits), ends it when
 * `fn` settles and marks it failed when `fn` throws.
 */
export async function inSpan<T>(
  name: string,
  { kind, parent, attributes }: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parentContext = parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind, ...(attributes ? { attributes } : {}) },
    parentContext,
  );
  try {
    return await context.with(trace.setSpan(parentContext, span), () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Records an error on a span and marks it failed. */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** What a new event links back to: the request or event that caused it. */
export interface CausationLinks {
  /** The id shared by everything one request caused: its request id. */
  correlationId?: string;
  /** The id of the event whose handler wrote this one. */
  causationId?: string;
}

const CAUSATION = Symbol('gittix.causation');

/** `ctx` with the links every event written under it carries. */
export function withCausation(ctx: Context, links: CausationLinks): Context {
  return ctx.setValue(CAUSATION, links);
}

/** The links of the request or event being handled; empty outside both. */
export function currentCausation(ctx: Context = context.active()): CausationLinks {
  return (ctx.getValue(CAUSATION) as CausationLinks | undefined) ?? {};
}
