import { defineService } from '@gittix/common';
import { buildApp } from './app.js';
import { gatewayConfigSchema } from './config.js';
import { upstreamsFrom } from './upstreams.js';

/** The gateway: the one public address, proxying the API and the web app. */
export const gatewayService = defineService({
  name: 'gateway',
  configSchema: gatewayConfigSchema,
  needs: {},
  build: async ({ config, logger, admission }) => ({
    app: await buildApp({
      logger,
      upstreams: upstreamsFrom(config),
      timeouts: {
        connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
        responseTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      },
      trustProxy: config.TRUST_PROXY,
      maxBodyBytes: config.MAX_BODY_BYTES,
      opsEndpoints: config.OPS_ENDPOINTS,
      docsCacheMs: config.DOCS_CACHE_SECONDS * 1000,
      admission,
      linger: { maxBytes: config.LINGER_MAX_BYTES, timeoutMs: config.LINGER_TIMEOUT_MS },
    }),
  }),
});
