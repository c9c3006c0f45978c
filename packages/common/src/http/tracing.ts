import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { contextFromCarrier, tracer, withCausation } from '../tracing/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span and the context it is active in. */
    traceSpan?: { span: Span; context: Context };
  }
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?')[0] ?? '/';
}

/**
 * One SERVER span per request, child of the caller's W3C `traceparent` when it
 * sends one: active for the hooks, the handler and the body's stream events, so
 * everything the request does (queries, outbox rows, upstream calls, log lines)
 * belongs to it. Manual because the official http instrumentation needs a module
 * loader hook that ES modules under tsx do not get (docs/tracing.md).
 */
export const tracingPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      const parent = contextFromCarrier(request.headers);
      const span = tracer().startSpan(
        `${request.method} ${routeOf(request)}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'http.route': routeOf(request),
            'url.path': request.url.split('?')[0] ?? '/',
            'gittix.request_id': request.id,
          },
        },
        parent,
      );
      const active = withCausation(trace.setSpan(parent, span), { correlationId: request.id });
      request.traceSpan = { span, context: active };
      // Body chunks and the response's events fire outside this call: bind them.
      context.bind(active, request.raw);
      context.bind(active, reply.raw);
      context.with(active, done);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const span = request.traceSpan?.span;
      if (span) {
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      const span = request.traceSpan?.span;
      if (span) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
        span.end();
      }
      done();
    });
  },
  { name: 'gittix-tracing' },
);
