import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
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
 * render's. The sampler and the batch settings are the SDK's reading of the spec's
 * OTEL_TRACES_SAMPLER and OTEL_BSP_* keys. Without an endpoint nothing is registered:
 * Next.js and gatewayCall make no span at all.
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
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  // The gateway call has its own CLIENT span (gatewayCall below), which carries the
  // traceparent; Next's fetch span would be a second one for the same call.
  process.env.NEXT_OTEL_FETCH_DISABLED = '1';
  // Next exits on SIGTERM once its server has closed: send what is still buffered first.
  process.once('SIGTERM', () => void provider?.forceFlush());
}

/**
 * Runs a server-side call to the gateway inside a CLIENT span (`GET gateway`) whose
 * W3C headers go into `headers`, so the gateway's SERVER span is its child. With no
 * provider registered the span is a no-op and no header is added.
 */
export async function inGatewaySpan<T extends { status: number }>(
  method: string,
  url: URL,
  headers: Record<string, string>,
  call: () => Promise<T>,
): Promise<T> {
  const parent = context.active();
  const span: Span = trace
    .getTracer('@gittix/web')
    .startSpan(`${method} gateway`, { kind: SpanKind.CLIENT }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      'http.request.method': method,
      'server.address': url.hostname,
      'url.path': url.pathname,
    });
  }
  const active = trace.setSpan(parent, span);
  propagation.inject(active, headers);
  try {
    const response = await context.with(active, call);
    span.setAttribute('http.response.status_code', response.status);
    if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    throw error;
  } finally {
    span.end();
  }
}
