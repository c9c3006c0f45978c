import type { Logger } from 'pino';

/**
 * Work a service does on its own schedule (orders' sweeper, the event tables'
 * pruning): started with the relay and the consumers, stopped after HTTP.
 */
export interface BackgroundTask {
  readonly name: string;
  start(): void;
  /** Stops after the run in flight. */
  stop(): Promise<void>;
}

export interface PeriodicTaskOptions {
  name: string;
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  /**
   * One run. Returning true means "there is more to do right away" (a full batch):
   * the next run starts without waiting for the interval.
   */
  run: () => Promise<boolean>;
  logger: Logger;
  /** Delay before the first run (default: none). */
  initialDelayMs?: number;
}

/** A task that runs `run` every `intervalMs`, never two runs at once, a failed run logged and retried. */
export function periodicTask(options: PeriodicTaskOptions): BackgroundTask {
  const { name, intervalMs, run, logger } = options;
  let running = false;
  let loop: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (!running) return resolve();
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function runLoop(): Promise<void> {
    await pause(options.initialDelayMs ?? 0);
    while (running) {
      let more = false;
      try {
        more = await run();
      } catch (error) {
        logger.warn({ err: error, task: name }, `${name} failed, retrying`);
      }
      if (!more) await pause(intervalMs);
    }
  }

  return {
    name,
    start() {
      if (running) return;
      running = true;
      loop = runLoop();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
