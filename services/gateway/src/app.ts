import type { Server } from 'node:http';
import {
  type AdmissionSettings,
  admissionPlugin,
  clientErrorHandler,
  closeGracefullyPlugin,
  DEFAULT_ADMISSION,
  DEFAULT_BODY_LIMIT,
  errorHandlerPlugin,
  frameworkErrors,
  healthPlugin,
  lingeringDrain,
  metricsPlugin,
  OneLinePerRequest,
  requestIdOf,
  TICKET_FILE_MAX_BYTES,
  TICKET_FILE_PATH,
  tracingPlugin,
  urlPath,
} from '@gittix/common';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { TrustProxy } from './config.js';
import { docsRoutes } from './docs/routes.js';
import { endUpstreamSpans, METHODS, type ProxyTimeouts, proxyTo } from './proxy.js';
import type { Upstream } from './upstreams.js';

export interface GatewayAppDeps {
  logger: FastifyBaseLogger;
  upstreams: Upstream[];
  timeouts: ProxyTimeouts;
  /** Fastify's trustProxy: which proxies in front may name the client. */
  trustProxy: TrustProxy;
  /** Larger request bodies are refused here, before any service reads them. */
  maxBodyBytes?: number;
  /** `local`: /metrics and /readyz answer only connections from this host (404 to the rest). */
  opsEndpoints?: 'public' | 'local';
  /** How long the merged API document is served from memory (default 60 s). */
  docsCacheMs?: number;
  /** How much of a refused body is read (and dropped) so its client still gets the 413. */
  linger?: { maxBytes: number; timeoutMs: number };
  /** Admission control's limits (ADMISSION_*); the defaults when omitted. */
  admission?: AdmissionSettings;
  /**
   * bench/gateway-cost only: pieces left out to measure what each costs per request.
   * Never set in production.
   */
  without?: ReadonlySet<GatewayPiece>;
}

/** The gateway's per-request pieces the cost benchmark can leave out, one at a time. */
export type GatewayPiece =
  | 'tracing'
  | 'requestIdHeader'
  | 'closeGracefully'
  | 'checks'
  | 'metrics'
  | 'admission';

export const DEFAULT_LINGER = { maxBytes: 8 * 1024 * 1024, timeoutMs: 5_000 };

/** The largest body a request may carry: a ticket file's upload, or the services' JSON limit. */
function bodyLimitFor(request: FastifyRequest, jsonLimit: number): number {
  return request.method === 'PUT' && TICKET_FILE_PATH.test(request.url)
    ? TICKET_FILE_MAX_BYTES
    : jsonLimit;
}

/**
 * 413 before a byte of the body is read, then a lingering close as nginx does
 * it: the answer is sent in full (with its length, so the client knows it has
 * all of it), the rest of the body is read and dropped within `linger`'s bounds,
 * and only then is the connection closed. A client that sends its whole body
 * before reading the answer still reads the 413, instead of a reset losing it.
 */
async function refuseTooLarge(
  request: FastifyRequest,
  reply: FastifyReply,
  linger: { maxBytes: number; timeoutMs: number },
): Promise<void> {
  const body = JSON.stringify({ errors: [{ message: 'Request body is too large' }] });
  reply.hijack();
  const response = reply.raw;
  response.writeHead(413, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
    'x-request-id': request.id,
  });
  response.write(body);
  const drained = await lingeringDrain(request.raw, linger);
  response.end();
  request.log.info(
    {
      method: request.method,
      url: request.url,
      statusCode: 413,
      contentLength: request.headers['content-length'],
      drained,
    },
    'request body too large',
  );
}

const OPS_PATHS = new Set(['/metrics', '/readyz']);
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** A path segment that climbs (`.`/`..`, however escaped) names nothing we serve. */
function climbs(url: string): boolean {
  const path = urlPath(url);
  // Most paths: nothing escaped and no segment starting with a dot, so nothing to decode.
  if (!path.includes('%') && !path.includes('/.') && !path.startsWith('.')) return false;
  return path.split('/').some((segment) => {
    try {
      const decoded = decodeURIComponent(segment);
      return decoded === '.' || decoded === '..' || decoded.includes('/');
    } catch {
      return true;
    }
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser's state-changing API call made by a page of another origin. SameSite=Lax
 * keeps the session cookie off cross-site requests only: another origin of the same
 * site (another port of localhost, a subdomain) still sends it, and a body-less
 * POST (`fetch(url, {method: 'POST', mode: 'no-cors', credentials: 'include'})`,
 * `navigator.sendBeacon`) needs no preflight and meets no content-type check:
 * `/api/payouts`, `/api/users/signout`, `/api/users/verify/resend`. The browser says
 * where a request comes from in `Sec-Fetch-Site` (no page can set it); older ones
 * only in `Origin`. Clients that are not browsers send neither and are not affected.
 */
function crossOrigin(request: FastifyRequest): boolean {
  if (SAFE_METHODS.has(request.method) || !request.url.startsWith('/api/')) return false;
  // Only the cookie travels by itself: a request without one, or with a token its
  // sender set on purpose (no other page can), acts for nobody it was not told to.
  if (request.headers.cookie === undefined || request.headers.authorization !== undefined) {
    return false;
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'cross-site' || site === 'same-site';
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    // `Origin: null` (a sandboxed frame, a redirect) parses to no host: refused too.
    return new URL(origin).host !== request.host;
  } catch {
    return true;
  }
}

type RawRequest = FastifyRequest['raw'];

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i;

/**
 * The path of an absolute-form request target (`GET http://host/path HTTP/1.1`,
 * which RFC 9112 §3.2.2 says a server must accept): routed and forwarded by its
 * path, its authority taken as the Host (as the RFC says) and never as a place to
 * fetch from. Before, the proxy refused to forward it and the client got a 500.
 */
function originForm(request: RawRequest): string {
  const url = request.url ?? '/';
  // Nearly every request: origin form, nothing to do.
  if (url.charCodeAt(0) === 47) return url;
  const match = ABSOLUTE_FORM.exec(url);
  if (!match) return url;
  if (match[1]) request.headers.host = match[1];
  const rest = url.slice(match[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * The gateway: one address for the browser. API prefixes go to their services,
 * everything else to the web app; it answers only health and the API docs itself.
 * A plain Fastify rather than createServiceApp, because bodies must stream through
 * unparsed and the client's address must come from TRUST_PROXY, not any header.
 */
export async function buildApp(deps: GatewayAppDeps): Promise<FastifyInstance> {
  const options: FastifyHttpOptions<Server, FastifyBaseLogger> = {
    loggerInstance: deps.logger,
    // One log line per request instead of Fastify's two.
    logController: new OneLinePerRequest(),
    genReqId: requestIdOf,
    frameworkErrors,
    clientErrorHandler,
    trustProxy: deps.trustProxy,
    rewriteUrl: originForm,
  };
  const app = Fastify(options);
  const without = deps.without ?? new Set<GatewayPiece>();
  // First: every hook, the proxying and the upstream call run in the request's span.
  // The gateway's handlers never wait for a body (it streams through), so the
  // request's streams need no binding; its log line is written in the span's context.
  if (!without.has('tracing')) await app.register(tracingPlugin, { bindStreams: false });

  await app.register(errorHandlerPlugin);
  if (!without.has('closeGracefully')) await app.register(closeGracefullyPlugin);
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  const linger = deps.linger ?? DEFAULT_LINGER;
  const localOps = deps.opsEndpoints === 'local';
  const idHeader = !without.has('requestIdHeader');
  const checks = !without.has('checks');
  if (idHeader || checks) {
    // One callback hook for both (no promise, microtask or onSend pass per request);
    // answering early is sending without calling done (Fastify's Hooks docs).
    app.addHook('onRequest', (request, reply, done) => {
      // Set here, it is on every answer of this request: errors, 404s, proxied ones.
      if (idHeader) reply.header('x-request-id', request.id);
      if (!checks) {
        done();
        return;
      }
      if (climbs(request.url)) {
        reply.code(404).send({ errors: [{ message: 'Not found' }] });
        return;
      }
      if (crossOrigin(request)) {
        reply.code(403).send({ errors: [{ message: 'Cross-origin request refused' }] });
        return;
      }
      // The socket's address, never a forwarded header: a client cannot claim to be local.
      // The route matched, not the raw path: `/%6detrics` and `/metrics/` reach it too.
      if (
        localOps &&
        OPS_PATHS.has(request.routeOptions.url ?? '') &&
        !LOOPBACK.has(request.socket.remoteAddress ?? '')
      ) {
        reply.code(404).send({ errors: [{ message: 'Not found' }] });
        return;
      }
      // Refused here rather than streamed to a service that answers 413 and closes
      // mid-upload, which the proxy would see as the service failing.
      const length = request.headers['content-length'];
      if (length !== undefined && Number(length) > bodyLimitFor(request, maxBodyBytes)) {
        refuseTooLarge(request, reply, linger).catch((error: unknown) =>
          request.log.warn({ err: error }, 'refusing a large body failed'),
        );
        return;
      }
      done();
    });
  }
  await app.register(healthPlugin, { checks: {} });
  if (!without.has('metrics')) await app.register(metricsPlugin, { service: 'gateway' });
  // Past capacity, 503 + Retry-After here, before a connection to a service is taken.
  if (!without.has('admission'))
    await app.register(admissionPlugin, deps.admission ?? DEFAULT_ADMISSION);
  await app.register(docsRoutes, {
    sources: deps.upstreams.flatMap((upstream) =>
      upstream.openapiPath
        ? [{ service: upstream.label, url: new URL(upstream.openapiPath, upstream.url).href }]
        : [],
    ),
    timeoutMs: Math.min(deps.timeouts.responseTimeoutMs, 5_000),
    cacheTtlMs: deps.docsCacheMs ?? 60_000,
  });
  // An /api path no service owns is the API's 404, in its error shape: not the web
  // app's HTML page. The services' own prefixes are longer, so they match first.
  const noSuchApi = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({ errors: [{ message: 'Not found' }] });
  app.route({ method: METHODS, url: '/api', handler: noSuchApi });
  app.route({ method: METHODS, url: '/api/*', handler: noSuchApi });
  const traced = !without.has('tracing');
  if (traced) endUpstreamSpans(app);
  const bodyLimit = (request: FastifyRequest) => bodyLimitFor(request, maxBodyBytes);
  for (const upstream of deps.upstreams) {
    await proxyTo(app, upstream, deps.timeouts, bodyLimit, traced);
  }
  return app;
}
