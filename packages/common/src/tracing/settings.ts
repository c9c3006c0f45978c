/** The samplers OTEL_TRACES_SAMPLER names (the OpenTelemetry spec's values). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/** How spans go to the collector (OTEL_EXPORTER_OTLP_PROTOCOL; gRPC is not offered). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** How the batch span processor gathers and sends spans (the OTEL_BSP_* keys). */
export interface SpanBatchSettings {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

/**
 * Batches of 512 (of 2,048 cost no less per span in bench:tracing:spans, of 128 no less
 * in bench:tracing: bench/bottlenecks.md §9, §23), but room for 16 of them while one is
 * sent: with the SDK's default 2,048 a burst dropped spans (one export at a time,
 * ~4,000 spans/s from one process).
 */
export const DEFAULT_SPAN_BATCH: SpanBatchSettings = {
  scheduledDelayMillis: 500,
  exportTimeoutMillis: 30_000,
  maxQueueSize: 8_192,
  maxExportBatchSize: 512,
};
