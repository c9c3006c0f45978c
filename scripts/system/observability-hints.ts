import type { Ports } from './services.js';

/**
 * What `npm start` prints, once ready, about seeing traces and metrics: where
 * spans go (or how to send them somewhere), and the /metrics of each process.
 */
export function observabilityHints(ports: Ports, otlpEndpoint: string | undefined): string[] {
  const metrics = Object.entries(ports)
    .filter(([name]) => name !== 'web')
    .map(([name, port]) => `${name} :${port}`)
    .join(', ');
  return [
    otlpEndpoint
      ? `Traces go to ${otlpEndpoint} (OTLP/HTTP); every log line names its trace_id.`
      : 'Traces: log lines carry trace_id; to see spans, run Jaeger (OTLP/HTTP on 4318) and start with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 (docs/tracing.md).',
    `Metrics: http://localhost:<port>/metrics (${metrics}); dashboard, alerts and a Compose profile with Prometheus, Grafana and Jaeger: docs/observability.md.`,
  ];
}
