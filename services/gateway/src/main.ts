import { createLogger, loadConfig, runService } from '@gittix/common';
import { buildApp } from './app.js';
import { type GatewayConfig, gatewayConfigSchema } from './config.js';
import { upstreamsFrom } from './upstreams.js';

function readConfig(): GatewayConfig {
  try {
    return loadConfig(gatewayConfigSchema);
  } catch (error) {
    process.stderr.write(`gateway: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
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
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    return () => app.close();
  },
});
