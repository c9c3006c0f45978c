import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { docsCache } from './docs-cache.js';
import { type DocumentSource, loadMergedDocs } from './load-docs.js';
import type { OpenApiDocument } from './merge-openapi.js';

export interface DocsOptions {
  sources: DocumentSource[];
  timeoutMs: number;
  /** How long the merged document is served from memory (DOCS_CACHE_SECONDS). */
  cacheTtlMs: number;
}

/** A document missing a service (it was down) is fetched again after at most this. */
const INCOMPLETE_TTL_MS = 5_000;

/**
 * `/api/docs/openapi.json`: every service's OpenAPI document merged, fetched once
 * per `cacheTtlMs` (a few seconds when a service did not answer) and served from
 * memory in between. `/api/docs`: Swagger UI over it, its assets served from this
 * process (no CDN), so the page works offline.
 */
export async function docsRoutes(app: FastifyInstance, options: DocsOptions): Promise<void> {
  const load = docsCache({
    load: () => loadMergedDocs(options.sources, options.timeoutMs, app.log),
    ttlMs: options.cacheTtlMs,
    incompleteTtlMs: Math.min(INCOMPLETE_TTL_MS, options.cacheTtlMs),
  });

  app.get('/api/docs/openapi.json', async (_request, reply) => {
    const document = await load();
    return reply
      .header('cache-control', `public, max-age=${Math.floor(options.cacheTtlMs / 1000)}`)
      .send(document);
  });

  // Swagger UI reads its document synchronously from @fastify/swagger; the merged
  // document is fetched in a hook just before and handed over per request.
  const merged = new WeakMap<FastifyRequest, OpenApiDocument>();
  const placeholder: OpenApiDocument = {
    openapi: '3.0.3',
    info: { title: 'GitTix API', version: '1.0.0' },
    paths: {},
  };
  await app.register(swagger, { mode: 'static', specification: { document: placeholder } });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    uiHooks: {
      preHandler: (request, _reply, done) => {
        const route = request.routeOptions.url ?? '';
        if (!route.endsWith('/json') && !route.endsWith('/yaml')) return done();
        load().then((document) => {
          merged.set(request, document);
          done();
        }, done);
      },
    },
    transformSpecificationClone: false,
    transformSpecification: (_document, request) => merged.get(request) ?? placeholder,
  });
}
