/**
 * One gateway for bench/gateway-cost, built with buildApp as production does
 * (tracing, logger and HTTP timeouts as runService sets them up), in front of
 * the stub upstream, with the pieces named in WITHOUT left out. VARIANT `undici`
 * instead serves the tickets prefix from a bare Fastify route calling undici
 * itself (what a proxy library adds); VARIANT `http` is node:http alone.
 *
 *   UPSTREAM=http://127.0.0.1:… PORT=… WITHOUT=tracing,metrics LOG_LEVEL=info \
 *   [OTLP=http://…] [SOURCE=/abs/path/to/app.ts] node --conditions=@gittix/source --import tsx services/gateway/bench/cost-gateway.ts
 */
import {
  applyHttpTimeouts,
  baseConfigSchema,
  createLogger,
  DEFAULT_ADMISSION,
  initTracing,
} from '@gittix/common';
import Fastify, { LogController } from 'fastify';
import { Pool } from 'undici';
import type { buildApp as BuildApp, GatewayPiece } from '../src/app.js';
import type { Upstream } from '../src/upstreams.js';

const upstreamUrl = process.env.UPSTREAM!;
const port = Number(process.env.PORT);
const variant = process.env.VARIANT ?? 'gateway';
// SOURCE: another copy of the gateway's and common's source (an A/B against an older commit).
const { buildApp } = (await import(process.env.SOURCE ?? '../src/app.js')) as {
  buildApp: typeof BuildApp;
};
initTracing({ serviceName: 'gateway', otlpEndpoint: process.env.OTLP || undefined });
const settings = baseConfigSchema.parse({});
const logger = createLogger({
  name: 'gateway',
  level: process.env.LOG_LEVEL ?? 'info',
  bufferBytes: settings.LOG_BUFFER_BYTES,
});

async function build() {
  if (variant === 'undici') {
    // The floor for a Fastify route that forwards with undici and streams the answer back.
    const app = Fastify({
      loggerInstance: logger,
      logController: new LogController({ disableRequestLogging: true }),
    });
    const pool = new Pool(upstreamUrl, { connections: 128 });
    app.get('/api/tickets/*', async (request, reply) => {
      const answer = await pool.request({
        method: 'GET',
        path: request.url,
        headers: { 'x-request-id': String(request.id) },
      });
      return reply
        .code(answer.statusCode)
        .header('content-type', String(answer.headers['content-type']))
        .send(answer.body);
    });
    return app;
  }
  const upstream = (label: string, prefix?: string): Upstream => ({
    label,
    url: upstreamUrl,
    urls: [upstreamUrl],
    ...(prefix ? { prefix } : {}),
  });
  return buildApp({
    logger,
    // The production routing table's shape: seven prefixes, the web app last.
    upstreams: [
      upstream('Users', '/api/users'),
      upstream('Tickets', '/api/tickets'),
      upstream('Tickets', '/api/events'),
      upstream('Orders', '/api/orders'),
      upstream('Payments', '/api/payments'),
      upstream('Payouts', '/api/payouts'),
      upstream('Web'),
    ],
    timeouts: { connectTimeoutMs: 2_000, responseTimeoutMs: 15_000 },
    trustProxy: false,
    admission: DEFAULT_ADMISSION,
    without: new Set((process.env.WITHOUT ?? '').split(',').filter(Boolean) as GatewayPiece[]),
  });
}

const app = await build();
applyHttpTimeouts(app.server, settings);
await app.listen({ port, host: '127.0.0.1' });
process.send?.('ready');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
