import { type Logger, pino } from 'pino';
import { activeTraceIds } from './tracing/tracing.js';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Human-readable lines for a terminal; JSON otherwise. */
  pretty?: boolean;
}

export function createLogger({ name, level = 'info', pretty = false }: LoggerOptions): Logger {
  return pino({
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
  });
}

export type { Logger };
