import { createLogger, loadServiceConfig, runService } from '@gittix/common';
import { buildApp } from './app.js';
import { gatewayConfigSchema } from './config.js';
import { upstreamsFrom } from './upstreams.js';

const config = loadServiceConfig('gateway', gatewayConfigSchema);
const logger = createLogger({
  name: 'gateway',
  level: config.LOG_LEVEL,
  pretty: config.LOG_PRETTY,
});

await runService({
  name: 'gateway',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const app = await buildApp({
      logger,
      upstreams: upstreamsFrom(config),
      timeouts: {
        connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
        responseTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
      },
      trustProxy: config.TRUST_PROXY,
      maxBodyBytes: config.MAX_BODY_BYTES,
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    return () => app.close();
  },
});
