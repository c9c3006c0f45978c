import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type DocumentSource, loadMergedDocs } from './load-docs.js';
import type { OpenApiDocument } from './merge-openapi.js';

export interface DocsOptions {
  sources: DocumentSource[];
  timeoutMs: number;
}

/**
 * `/api/docs/openapi.json`: every service's OpenAPI document merged, fetched fresh
 * on each request. `/api/docs`: Swagger UI over it, its assets served from this
 * process (no CDN), so the page works offline.
 */
export async function docsRoutes(app: FastifyInstance, options: DocsOptions): Promise<void> {
  const load = () => loadMergedDocs(options.sources, options.timeoutMs, app.log);

  app.get('/api/docs/openapi.json', async () => load());

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
