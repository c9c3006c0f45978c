import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WebConfig } from './config';

let provider: NodeTracerProvider | undefined;

/**
 * Registers a tracer provider when an OTLP endpoint is configured (once; called from
 * instrumentation-node.ts). Next.js then makes its own spans: one SERVER span per
 * request, child of the caller's `traceparent` (the gateway's upstream call), and the
 * render's. The sampler is the SDK's reading of the spec's OTEL_TRACES_SAMPLER keys;
 * the batch settings are the OTEL_BSP_* keys as config.ts read them, with the services'
 * defaults. Without an endpoint nothing is registered:
 * Next.js and inGatewaySpan make no span at all.
 */
export function startTracing(config: WebConfig): void {
  if (provider || !config.OTEL_EXPORTER_OTLP_ENDPOINT) return;
  const url = `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`;
  const exporter =
    config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json'
      ? new JsonTraceExporter({ url })
      : new ProtobufTraceExporter({ url });
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'web' }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
        exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT,
        maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE,
        maxExportBatchSize: config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
      }),
    ],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  // The gateway call has its own CLIENT span (inGatewaySpan, gateway-span.ts), which
  // carries the traceparent; Next's fetch span would be a second one for the same call.
  process.env.NEXT_OTEL_FETCH_DISABLED = '1';
  // Next exits on SIGTERM once its server has closed: send what is still buffered first.
  process.once('SIGTERM', () => void provider?.forceFlush());
}
