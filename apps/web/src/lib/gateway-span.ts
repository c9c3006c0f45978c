import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

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
