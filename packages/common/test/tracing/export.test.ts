import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfigSchema, loadConfig, samplerOf, spanBatchSettingsFrom } from '../../src/index.js';
import { type OtlpReceiver, startOtlpReceiver } from '../../src/testing/index.js';

describe('exporting spans over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it.each([
    ['http/protobuf', ProtobufTraceExporter],
    ['http/json', JsonTraceExporter],
  ] as const)(
    'when spans are exported as %s, then the receiver reads their ids, parents, names, kinds and service',
    async (protocol, Exporter) => {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': `svc-${protocol}` }),
        spanProcessors: [
          new BatchSpanProcessor(new Exporter({ url: `${receiver.endpoint}/v1/traces` })),
        ],
      });
      const tracer = provider.getTracer('test');
      const parent = tracer.startSpan('GET /api/things/:id', { kind: SpanKind.SERVER });
      const child = tracer.startSpan(
        'pg SELECT',
        { kind: SpanKind.CLIENT, attributes: { 'db.query.text': 'select 1' } },
        trace.setSpan(context.active(), parent),
      );
      child.end();
      parent.end();
      await provider.forceFlush();
      await provider.shutdown();

      const spans = receiver.trace(parent.spanContext().traceId);
      expect(spans).toEqual(
        expect.arrayContaining([
          {
            traceId: parent.spanContext().traceId,
            spanId: parent.spanContext().spanId,
            parentSpanId: '',
            name: 'GET /api/things/:id',
            kind: 2,
            service: `svc-${protocol}`,
          },
          {
            traceId: parent.spanContext().traceId,
            spanId: child.spanContext().spanId,
            parentSpanId: parent.spanContext().spanId,
            name: 'pg SELECT',
            kind: 3,
            service: `svc-${protocol}`,
          },
        ]),
      );
      expect(spans).toHaveLength(2);
    },
  );
});

describe('the batch processor the OTEL_BSP_* keys configure', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it('when OTEL_BSP_MAX_EXPORT_BATCH_SIZE is 3, then 7 ended spans leave in exports of at most 3', async () => {
    const batch = spanBatchSettingsFrom(
      loadConfig(baseConfigSchema, {
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '3',
        OTEL_BSP_MAX_QUEUE_SIZE: '10',
        // Only full batches and the flush below send: no timer in between.
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      }),
    );
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new BatchSpanProcessor(
          new ProtobufTraceExporter({ url: `${receiver.endpoint}/v1/traces` }),
          batch,
        ),
      ],
    });
    const tracer = provider.getTracer('test');
    for (let i = 0; i < 7; i++) tracer.startSpan(`span ${i}`).end();
    await provider.forceFlush();
    await provider.shutdown();

    const sizes = receiver.exportSizes();
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(7);
    // Full batches of 3 (the default, 512, would send all 7 at the flush); never more.
    expect(Math.max(...sizes)).toBe(3);
  });

  it('when the batch is larger than the queue, then the configuration is refused', () => {
    const config = loadConfig(baseConfigSchema, {
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1000',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
    });
    expect(() => spanBatchSettingsFrom(config)).toThrow(
      /OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Must not exceed OTEL_BSP_MAX_QUEUE_SIZE/,
    );
    expect(spanBatchSettingsFrom(loadConfig(baseConfigSchema, {}))).toEqual({
      scheduledDelayMillis: 500,
      exportTimeoutMillis: 30_000,
      maxQueueSize: 8_192,
      maxExportBatchSize: 512,
    });
  });
});

describe('the sampler OTEL_TRACES_SAMPLER names', () => {
  const sampled = { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 };
  const decide = (name: Parameters<typeof samplerOf>[0], ratio: number, parent?: boolean) =>
    samplerOf(name, ratio).shouldSample(
      parent ? trace.setSpanContext(context.active(), sampled) : context.active(),
      'f'.repeat(32),
      'span',
      SpanKind.SERVER,
      {},
      [],
    ).decision;

  it('when parentbased_traceidratio keeps none, then new traces are dropped but a sampled caller’s are kept', () => {
    // SamplingDecision: 0 not recorded, 2 recorded and sampled.
    expect(decide('parentbased_traceidratio', 0)).toBe(0);
    expect(decide('parentbased_traceidratio', 0, true)).toBe(2);
    expect(decide('parentbased_traceidratio', 1)).toBe(2);
    expect(decide('traceidratio', 0, true)).toBe(0);
    expect(decide('parentbased_always_on', 0)).toBe(2);
    expect(decide('always_off', 1, true)).toBe(0);
  });

  it('when an INTERNAL span would start a trace (a BullMQ background loop), then it is not recorded; under a parent it is', () => {
    const internal = (name: Parameters<typeof samplerOf>[0], parent: boolean) =>
      samplerOf(name, 1).shouldSample(
        parent ? trace.setSpanContext(context.active(), sampled) : context.active(),
        'f'.repeat(32),
        'getNextJob order-expiration',
        SpanKind.INTERNAL,
        {},
        [],
      ).decision;
    for (const name of ['parentbased_always_on', 'always_on', 'traceidratio'] as const) {
      expect(internal(name, false)).toBe(0);
      expect(internal(name, true)).toBe(2);
    }
    // Every other kind still starts traces.
    expect(decide('parentbased_always_on', 1)).toBe(2);
    expect(decide('always_on', 1)).toBe(2);
  });
});
