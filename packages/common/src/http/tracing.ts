import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { contextFromCarrier, tracer, withCausation } from '../tracing/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span and the context it is active in. */
    traceSpan?: { span: Span; context: Context };
  }
}

/** The request's path, without its query, without splitting the URL. */
export function urlPath(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export interface TracingPluginOptions {
  /**
   * Whether the request's and response's stream events run in the request's
   * context (`context.bind` of both emitters, default true): a handler that runs
   * after the body was read (from the stream's `end`) needs it. An app whose
   * handlers run without waiting for a body (the gateway streams bodies through)
   * can leave it out: it wraps every `on`/`once` of both emitters, per request.
   */
  bindStreams?: boolean;
}

/**
 * One SERVER span per request, child of the caller's W3C `traceparent` when it
 * sends one: active for the hooks, the handler and the body's stream events, so
 * everything the request does (queries, outbox rows, upstream calls, log lines)
 * belongs to it. Manual because the official http instrumentation needs a module
 * loader hook that ES modules under tsx do not get (docs/tracing.md). Attributes
 * are set only on spans that are recorded (an OTLP endpoint is configured): a
 * span that is not recorded costs its ids and contexts, nothing more.
 */
export const tracingPlugin = fp(
  async (app: FastifyInstance, options: TracingPluginOptions) => {
    const bindStreams = options.bindStreams ?? true;
    // "GET /api/tickets/*": one string per method and route, not one per request.
    const names = new Map<string, Map<string, string>>();
    const nameOf = (method: string, route: string): string => {
      let byRoute = names.get(method);
      if (!byRoute) {
        byRoute = new Map();
        names.set(method, byRoute);
      }
      let name = byRoute.get(route);
      if (name === undefined) {
        name = `${method} ${route}`;
        // Unknown routes are named by their path: bounded, so a scan cannot grow it forever.
        if (byRoute.size < 1_000) byRoute.set(route, name);
      }
      return name;
    };
    app.addHook('onRequest', (request, reply, done) => {
      const parent = contextFromCarrier(request.headers);
      const route = request.routeOptions.url ?? urlPath(request.url);
      const span = tracer().startSpan(
        nameOf(request.method, route),
        { kind: SpanKind.SERVER },
        parent,
      );
      if (span.isRecording()) {
        span.setAttributes({
          'http.request.method': request.method,
          'http.route': route,
          'url.path': urlPath(request.url),
          'gittix.request_id': request.id,
        });
      }
      const active = withCausation(trace.setSpan(parent, span), { correlationId: request.id });
      request.traceSpan = { span, context: active };
      if (bindStreams) {
        // Body chunks and the response's events fire outside this call: bind them.
        context.bind(active, request.raw);
        context.bind(active, reply.raw);
      }
      context.with(active, done);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const span = request.traceSpan?.span;
      if (span?.isRecording()) {
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      const span = request.traceSpan?.span;
      if (span?.isRecording()) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
        span.end();
      }
      done();
    });
  },
  { name: 'gittix-tracing' },
);
