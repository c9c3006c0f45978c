import { describe, expect, it } from 'vitest';
import { observabilityHints } from '../system/observability-hints.js';
import { defaultPorts } from '../system/services.js';

describe('what npm start prints about traces and metrics', () => {
  it('when no OTLP endpoint is set, then it says how to send spans to Jaeger and where each /metrics is', () => {
    const [traces, metrics] = observabilityHints(defaultPorts, undefined);
    expect(traces).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318');
    expect(metrics).toContain('/metrics');
    expect(metrics).toContain(`orders :${defaultPorts.orders}`);
    expect(metrics).toContain(`gateway :${defaultPorts.gateway}`);
    expect(metrics).not.toContain('web :');
    expect(metrics).toContain('docs/observability.md');
  });

  it('when an OTLP endpoint is set, then it says spans go there', () => {
    const [traces] = observabilityHints(defaultPorts, 'http://collector:4318');
    expect(traces).toBe(
      'Traces go to http://collector:4318 (OTLP/HTTP); every log line names its trace_id.',
    );
  });
});
