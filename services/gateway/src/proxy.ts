import { pipeline, Transform } from 'node:stream';
import httpProxy from '@fastify/http-proxy';
import replyFrom, { type FastifyReplyFromHooks } from '@fastify/reply-from';
import { failSpan, tracer, urlPath } from '@gittix/common';
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ReplicaPicker, type Upstream } from './upstreams.js';

export interface ProxyTimeouts {
  connectTimeoutMs: number;
  responseTimeoutMs: number;
}

/**
 * 502 when the upstream answered but not in valid HTTP (reply-from's bad status,
 * undici's parser errors); 503 when it could not be reached or did not answer in time.
 */
function statusFor(error: Error): 502 | 503 {
  const { code, cause } = error as { code?: string; cause?: { name?: string } };
  const invalidAnswer = code === 'FST_REPLY_FROM_BAD_GATEWAY' || cause?.name === 'HTTPParserError';
  return invalidAnswer ? 502 : 503;
}

/** The replica refused, did not accept in time or dropped the connection: it is down or going down. */
function unreachable(error: Error): boolean {
  const code =
    (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ECONNRESET';
}

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1): the
 * upstream's `Connection: keep-alive` and `Keep-Alive: timeout=5` are about its
 * connection to the gateway. Passed on, they overrode the gateway's own: a client's
 * `Connection: close` was answered `keep-alive` and the connection left open, and
 * clients were told the gateway drops idle connections after the upstream's 5 s.
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
];

/** Drops the upstream's hop-by-hop headers, and those its `Connection` names, from an answer. */
function dropHopByHop(headers: Record<string, unknown>): void {
  const named = headers.connection;
  if (typeof named === 'string') {
    for (const name of named.split(',')) {
      const header = name.trim().toLowerCase();
      // The request id is the gateway's: an upstream cannot name it away.
      if (header !== '' && header !== 'x-request-id') delete headers[header];
    }
  }
  for (const header of HOP_BY_HOP) if (header in headers) delete headers[header];
}

/**
 * Hop-by-hop headers of the client's request that reply-from leaves in (it drops
 * `Connection`, `Transfer-Encoding` and what `Connection` names). undici refuses to
 * send `Expect`, `Upgrade` and `Keep-Alive`: left in, a client's `Expect:
 * 100-continue` (curl's, for any body over 1 MiB, such as a ticket file) or a stray
 * `Upgrade: h2c` made the request fail before it left, answered "… service
 * unavailable". The gateway's own server has answered `Expect` already (its 100).
 */
const REQUEST_HOP_BY_HOP = [
  'expect',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'te',
  'http2-settings',
];

/**
 * An API answer to a signed-in request that says nothing about caching is kept by
 * no shared cache (a CDN or a caching ingress keys by URL, not by cookie) and by no
 * browser once the tab is gone: orders, payments and balances are one person's.
 */
const SIGNED_IN_CACHE_CONTROL = 'private, no-store';

function signedIn(request: Pick<FastifyRequest, 'headers'>): boolean {
  return request.headers.cookie !== undefined || request.headers.authorization !== undefined;
}

/** The CLIENT span of each proxied request's upstream call, ended with the response. */
const upstreamSpans = new WeakMap<object, Span>();

/**
 * Starts the upstream call's span and writes its W3C headers into `headers` (the
 * caller's `traceparent` is replaced by this hop's: the upstream is its child).
 * Attributes only on a span that is recorded; the name is built once per method.
 */
function startUpstreamSpan(
  request: Pick<FastifyRequest, 'traceSpan' | 'method' | 'url'>,
  upstream: Upstream,
  host: string,
  names: Map<string, string>,
  headers: Record<string, unknown>,
): void {
  const parent = request.traceSpan?.context ?? context.active();
  let name = names.get(request.method);
  if (name === undefined) {
    name = `${request.method} ${upstream.label}`;
    names.set(request.method, name);
  }
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      'http.request.method': request.method,
      'server.address': host,
      'url.path': urlPath(request.url),
    });
    upstreamSpans.set(request, span);
  }
  propagation.inject(trace.setSpan(parent, span), headers);
}

/** Ends each proxied request's upstream span with the response: registered once, for every upstream. */
export function endUpstreamSpans(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const span = upstreamSpans.get(request);
    if (span) {
      upstreamSpans.delete(request);
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/** The methods forwarded: every one a browser or a service client sends. */
export const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** The largest body a request may carry upstream (the gateway's 413 limits). */
export type BodyLimit = (request: FastifyRequest) => number;

/** Requests whose body (sent without a length) grew past its limit on the way through. */
const cutOff = new WeakSet<object>();

class BodyTooLargeError extends Error {
  constructor() {
    super('Request body is too large');
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Bodies are handed on as the client's stream, never parsed here. One with a
 * Content-Length was already held to its limit before routing (app.ts); one sent in
 * chunks is counted on its way through and cut off past the limit, so that the
 * client gets 413 from here rather than the service's 413 racing the upload and the
 * proxy seeing a dropped connection (which it answers 503).
 */
function passThrough(limitFor: BodyLimit) {
  return (
    request: FastifyRequest,
    payload: NodeJS.ReadableStream,
    done: (error: Error | null, body?: unknown) => void,
  ): void => {
    if (request.headers['content-length'] !== undefined) {
      done(null, payload);
      return;
    }
    const limit = limitFor(request);
    let seen = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        seen += chunk.length;
        if (seen <= limit) {
          next(null, chunk);
          return;
        }
        cutOff.add(request);
        next(new BodyTooLargeError());
      },
    });
    // The client's stream ends or fails with the counted one; nothing to do after.
    pipeline(payload, counted, () => {});
    done(null, counted);
  };
}

/**
 * Forwards `upstream.prefix` to the upstream as a stream (call endUpstreamSpans once too):
 * bodies are not parsed here (the services validate and limit them), cookies and
 * Set-Cookie pass through as they are. An upstream that is down or too slow is
 * answered in the API's error shape, never with a hang or the proxy's own error body.
 * API prefixes are two reply-from routes; the web app (WebSocket upgrades for its
 * dev server) goes through @fastify/http-proxy, which adds per request what the
 * API does not need (three `URL`s, a prefix decoded character by character, a
 * cache key, every response header scanned) and is where its WebSockets come from.
 */
export async function proxyTo(
  app: FastifyInstance,
  upstream: Upstream,
  timeouts: ProxyTimeouts,
  bodyLimit: BodyLimit,
  traced = true,
): Promise<void> {
  const call = upstreamCall(upstream, timeouts, traced);
  if (upstream.websocket) {
    await app.register(httpProxy, {
      upstream: call.base ?? '',
      ...(upstream.prefix ? { prefix: upstream.prefix, rewritePrefix: upstream.prefix } : {}),
      websocket: true,
      disableRequestLogging: true,
      undici: call.undici,
      replyOptions: call.hooks,
    });
    return;
  }
  const prefix = upstream.prefix ?? '';
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', passThrough(bodyLimit));
    await scope.register(replyFrom, {
      ...(call.base ? { base: call.base } : {}),
      undici: call.undici,
      disableRequestLogging: true,
      // Paths carry ids, so a URL cache mostly misses and costs a key per request.
      disableCache: true,
    });
    const handler = (_request: FastifyRequest, reply: FastifyReply) => {
      // No source: reply-from forwards the request's own path and query unchanged.
      reply.from(undefined, call.hooks);
    };
    scope.route({ method: METHODS, url: prefix || '/', handler });
    scope.route({ method: METHODS, url: `${prefix}/*`, handler });
  });
}

/** How requests reach one upstream: its base (none with replicas), undici's limits, reply-from's hooks. */
function upstreamCall(
  upstream: Upstream,
  timeouts: ProxyTimeouts,
  traced: boolean,
): { base: string | undefined; undici: Record<string, number>; hooks: FastifyReplyFromHooks } {
  // Parsed once here, not per request.
  const host = new URL(upstream.url).host;
  // Several replicas: each request goes to the next one (ReplicaPicker), so the
  // replica it went to is remembered for onError.
  const picker = upstream.urls.length > 1 ? new ReplicaPicker(upstream.urls) : undefined;
  const pickedFor = new WeakMap<object, string>();
  const spanNames = new Map<string, string>();
  const api = upstream.prefix !== undefined;
  const hooks: FastifyReplyFromHooks = {
    // reply-from hands over its own copy of the client's headers: rewritten in place.
    rewriteRequestHeaders: (request, headers) => {
      for (const header of REQUEST_HOP_BY_HOP) if (header in headers) delete headers[header];
      if (traced) startUpstreamSpan(request, upstream, host, spanNames, headers);
      headers['x-request-id'] = request.id;
      // request.ip honours TRUST_PROXY, so a client cannot choose its own address.
      headers['x-forwarded-for'] = request.ip;
      headers['x-forwarded-proto'] = request.protocol;
      headers['x-forwarded-host'] = request.host;
      return headers;
    },
    // The gateway's request id wins over whatever the upstream echoes (it is set on
    // every answer in app.ts's onRequest; the upstream's headers are copied after it).
    rewriteHeaders: (headers, request) => {
      dropHopByHop(headers);
      if (request) {
        headers['x-request-id'] = request.id;
        // The web app decides its own pages' and assets' caching (Next.js: no-store
        // on every rendered page); only the API's answers are held to this here.
        if (api && headers['cache-control'] === undefined && signedIn(request)) {
          headers['cache-control'] = SIGNED_IN_CACHE_CONTROL;
        }
      }
      return headers;
    },
    // Never retry: a POST may already have had its effect, and a 503 is the answer.
    retryDelay: () => null,
    onError: (reply, { error }) => {
      const picked = pickedFor.get(reply.request);
      if (picker && picked && unreachable(error)) picker.unreachable(picked);
      const span = upstreamSpans.get(reply.request);
      if (span) failSpan(span, error);
      // An upstream being down is expected operationally: one line, not a stack.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      reply.request.log.warn(
        {
          upstream: picked ?? upstream.url,
          reason: cause?.code ?? cause?.message ?? error.message,
        },
        `${upstream.label} upstream failed`,
      );
      // The unread rest of a request body would poison a kept-alive connection.
      if (!reply.request.raw.complete) reply.header('connection', 'close');
      if (cutOff.has(reply.request)) {
        // Not the upstream's failure: the client's body outgrew the limit on the way.
        void reply.code(413).send({ errors: [{ message: 'Request body is too large' }] });
        return;
      }
      void reply
        .code(statusFor(error))
        .send({ errors: [{ message: `${upstream.label} service unavailable` }] });
    },
  };
  if (picker) {
    // No fixed base: getUpstream names each request's replica, reached through one undici Agent.
    hooks.getUpstream = (request) => {
      const url = picker.pick();
      pickedFor.set(request, url);
      return url;
    };
  }
  return {
    base: picker ? undefined : upstream.url,
    undici: {
      connectTimeout: timeouts.connectTimeoutMs,
      headersTimeout: timeouts.responseTimeoutMs,
      bodyTimeout: timeouts.responseTimeoutMs,
    },
    hooks,
  };
}
