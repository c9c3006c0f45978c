import { type Logger, pino } from 'pino';
import { activeTraceIds } from './tracing/tracing.js';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Human-readable lines for a terminal; JSON otherwise. */
  pretty?: boolean;
  /**
   * JSON lines are gathered up to this many bytes and written together (flushed at
   * least every `LOG_FLUSH_INTERVAL_MS`, and synchronously when the process exits):
   * one write per request cost the services 5–12 % of their CPU under load
   * (bench/profiles). 0 writes each line as it comes.
   */
  bufferBytes?: number;
}

/** The longest a buffered log line waits to be written. */
export const LOG_FLUSH_INTERVAL_MS = 1_000;

function bufferedStdout(minLength: number) {
  const destination = pino.destination({ dest: 1, minLength, sync: false });
  // pino flushes it synchronously on exit; this bounds how late a line shows up meanwhile.
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Not ready yet or being written: the next tick flushes it.
    }
  }, LOG_FLUSH_INTERVAL_MS).unref();
  return destination;
}

export function createLogger({
  name,
  level = 'info',
  pretty = false,
  bufferBytes = 0,
}: LoggerOptions): Logger {
  const options = {
    name,
    level,
    // Every line written inside a span (a request, an event, a job) names its trace.
    mixin: () => activeTraceIds() ?? {},
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name', singleLine: true },
          },
        }
      : {}),
  };
  if (pretty || bufferBytes <= 0) return pino(options);
  return pino(options, bufferedStdout(bufferBytes));
}

export type { Logger };
