import type { Server } from 'node:http';
import { errorHandlerPlugin, healthPlugin, metricsPlugin, requestIdOf } from '@gittix/common';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
} from 'fastify';
import type { TrustProxy } from './config.js';
import { docsRoutes } from './docs/routes.js';
import { type ProxyTimeouts, proxyTo } from './proxy.js';
import type { Upstream } from './upstreams.js';

export interface GatewayAppDeps {
  logger: FastifyBaseLogger;
  upstreams: Upstream[];
  timeouts: ProxyTimeouts;
  /** Fastify's trustProxy: which proxies in front may name the client. */
  trustProxy: TrustProxy;
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
    genReqId: requestIdOf,
    trustProxy: deps.trustProxy,
  };
  const app = Fastify(options);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(errorHandlerPlugin);
  await app.register(healthPlugin, { checks: {} });
  await app.register(metricsPlugin, { service: 'gateway' });
  await app.register(docsRoutes, {
    sources: deps.upstreams.flatMap((upstream) =>
      upstream.openapiPath
        ? [{ service: upstream.label, url: new URL(upstream.openapiPath, upstream.url).href }]
        : [],
    ),
    timeoutMs: Math.min(deps.timeouts.responseTimeoutMs, 5_000),
  });
  for (const upstream of deps.upstreams) await proxyTo(app, upstream, deps.timeouts);
  return app;
}
