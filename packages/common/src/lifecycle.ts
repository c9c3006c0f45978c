import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import { ConfigError } from './config.js';

export interface RunServiceOptions {
  name: string;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Connects, migrates and listens; resolves to the function that undoes it all. */
  start: () => Promise<() => Promise<void>>;
}

/**
 * Runs a service until SIGTERM/SIGINT, then stops it gracefully: the stop
 * function gets `shutdownTimeoutMs` to stop consuming, finish in-flight work and
 * close connections before the process exits anyway.
 */
export async function runService({
  name,
  logger,
  shutdownTimeoutMs,
  start,
}: RunServiceOptions): Promise<void> {
  let stop: () => Promise<void>;
  try {
    stop = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      logger.fatal({ err: error }, `${name} failed to start`);
    }
    process.exit(1);
  }
  closeWithGrace({ delay: shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.error({ err }, `${name} stopping after an unexpected error`);
    else logger.info({ signal }, `${name} stopping`);
    await stop();
    logger.info(`${name} stopped`);
  });
}
