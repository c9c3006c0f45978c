import type { Logger } from 'pino';
import type { StopStep } from './description.js';

/** Runs each step in order, carrying on past a failing one so every connection still closes. */
export function stopInOrder(logger: Logger, steps: StopStep[]): () => Promise<void> {
  return async () => {
    for (const [name, stop] of steps) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, `stopping ${name} failed`);
      }
    }
  };
}
