import { type DestinationStream, type Logger, pino } from 'pino';
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
  /** Where JSON lines go instead of stdout (a test reading them). */
  destination?: DestinationStream;
}

/**
 * Query parameters whose values are secrets: the single-use token of a verification or
 * reset link (`/auth/verify?token=…`, `/auth/reset?token=…`, pages the gateway proxies
 * and logs like any other). A log line outlives the link's 30 minutes in every log
 * store it is shipped to, and anyone who reads it could take the account over.
 */
const SECRET_QUERY_PARAMETERS = ['token'];

/** `url` with the values of SECRET_QUERY_PARAMETERS replaced; as it is when it has none. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const parameters = new URLSearchParams(url.slice(query + 1));
  let redacted = false;
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (!parameters.has(name)) continue;
    parameters.set(name, '[Redacted]');
    redacted = true;
  }
  return redacted ? `${url.slice(0, query)}?${parameters}` : url;
}

/** Secrets never written: credentials in headers, tokens in request URLs. */
const redact = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'res.headers["set-cookie"]',
    'req.url',
  ],
  censor: (value: unknown, path: string[]) =>
    path.at(-1) === 'url' ? (typeof value === 'string' ? redactUrl(value) : value) : '[Redacted]',
};

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
  destination,
}: LoggerOptions): Logger {
  const options = {
    name,
    level,
    // Every line written inside a span (a request, an event, a job) names its trace.
    mixin: () => activeTraceIds() ?? {},
    redact,
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name', singleLine: true },
          },
        }
      : {}),
  };
  if (destination) return pino(options, destination);
  if (pretty || bufferBytes <= 0) return pino(options);
  return pino(options, bufferedStdout(bufferBytes));
}

export type { Logger };
