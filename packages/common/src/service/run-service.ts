import closeWithGrace from 'close-with-grace';
import type { z } from 'zod';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import type { AnyServiceDescription, ConfigOf } from './description.js';
import { openService } from './open-service.js';

/** Loads a service's configuration, or stops the process with one line naming what is wrong. */
export function loadServiceConfig<S extends z.ZodType>(name: string, schema: S): z.output<S> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  }
}

/**
 * Runs a service as its main.ts: config from the environment, the connections its
 * description needs, its app and consumers; then until SIGTERM/SIGINT, when it
 * stops in order within SHUTDOWN_TIMEOUT_MS (the process exits anyway after it).
 */
export async function runService(description: AnyServiceDescription): Promise<void> {
  const { name } = description;
  const config: ConfigOf<AnyServiceDescription> = loadServiceConfig(name, description.configSchema);
  const logger = createLogger({ name, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  let stop: () => Promise<void>;
  try {
    const service = await openService(description, { config, logger });
    stop = () => service.stop();
    service.relay?.start();
    await service.startConsumers();
    service.startTasks();
    await service.app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`${name}: ${error.message}\n`);
    else logger.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) logger.error({ err }, `${name} stopping after an unexpected error`);
    else logger.info({ signal }, `${name} stopping`);
    await stop();
    logger.info(`${name} stopped`);
  });
}
