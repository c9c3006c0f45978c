import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Instrumentation } from 'next';
import pino, { type Logger } from 'pino';

type ErrorRequest = Parameters<Instrumentation.onRequestError>[1];
type ErrorContext = Parameters<Instrumentation.onRequestError>[2];

/** A W3C traceparent: version, trace id, the caller's span id, flags. */
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;

/**
 * The trace ids of the request that failed: its own span's when one is active (tracing
 * exported), else the `traceparent` it came with (the gateway always sends one): the
 * same trace id, and the gateway's span as `parent_span_id`.
 */
export function traceIdsOf(
  headers: ErrorRequest['headers'],
): { trace_id: string; span_id?: string; parent_span_id?: string } | undefined {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && isSpanContextValid(active)) {
    return { trace_id: active.traceId, span_id: active.spanId };
  }
  const header = headers.traceparent;
  const match = TRACEPARENT.exec(String(Array.isArray(header) ? header[0] : (header ?? '')));
  return match ? { trace_id: match[1]!, parent_span_id: match[2]! } : undefined;
}

let logger: Logger | undefined;

/** The web app's one logger, to stdout (made on first use). */
function webLogger(): Logger {
  logger ??= pino({ name: 'web' });
  return logger;
}

/**
 * One JSON line per failed page or route (Next's onRequestError, instrumentation.ts), as
 * the services write theirs (pino, `name: web`), carrying the trace id so the failure is
 * found with the rest of its request across services. The path is logged without its
 * query: a query may carry a secret (the reset link's token).
 */
export function logRequestError(
  error: unknown,
  request: ErrorRequest,
  context: ErrorContext,
  log: Logger = webLogger(),
): void {
  const query = request.path.indexOf('?');
  log.error(
    {
      err: error,
      ...traceIdsOf(request.headers),
      req: {
        method: request.method,
        path: query === -1 ? request.path : request.path.slice(0, query),
      },
      route: context.routePath,
      routeType: context.routeType,
    },
    'request failed',
  );
}
