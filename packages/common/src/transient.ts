/**
 * Errors that say a dependency is briefly out of reach rather than that the work
 * is wrong: a database restarting, a refused or dropped connection, a deadlock.
 * Requests that hit one answer 503; consumers retry them for as long as it takes
 * instead of counting them towards dead-lettering.
 */
const TRANSIENT_SQLSTATE = [
  /^08/, // connection exception
  /^53/, // insufficient resources (too many connections, out of memory)
  /^57P0[1-3]$/, // admin shutdown, crash shutdown, cannot connect now
  /^40001$/, // serialization failure
  /^40P01$/, // deadlock detected
];

const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|the database system is (starting up|shutting down)/i;

export function isTransientError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const { code, message, cause, errors } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string') {
      if (TRANSIENT_SYSTEM_CODES.has(code)) return true;
      if (TRANSIENT_SQLSTATE.some((pattern) => pattern.test(code))) return true;
    }
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
    // AggregateError (e.g. a refused connection to every address of a host).
    if (Array.isArray(errors) && errors.some(isTransientError)) return true;
    current = cause;
  }
  return false;
}
