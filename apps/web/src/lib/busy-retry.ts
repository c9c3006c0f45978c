/**
 * Retrying what GitTix refused because it was busy. Past capacity the gateway and
 * the services answer 503 with `Retry-After` before doing anything (admission
 * control, docs/gateway.md), so the same request can safely be sent again once
 * that time has passed. Every client waiting exactly `Retry-After` would come back
 * together and be refused together: each waits a random extra (jitter), longer
 * on every attempt, and gives up after a bound with a clear message.
 */

/** Attempts in all, the first included; then the visitor is told to come back later. */
export const BUSY_MAX_ATTEMPTS = 5;
/** No single wait is longer than this, whatever the server asks. */
export const BUSY_MAX_WAIT_SECONDS = 30;
/** Waits when the server names none that can be read. */
const DEFAULT_RETRY_AFTER_SECONDS = 2;

export const BUSY_GAVE_UP_MESSAGE =
  'GitTix is under very high demand right now. Nothing was changed: please try again in a few minutes.';

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP date names its day and month ("Tue, 01 Jan 2030 00:00:05 GMT"); "-1" is not one.
  if (!/[a-z]{3}/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * How long to wait before attempt `attempt + 1` (attempt counts from 1), ms: the
 * server's `Retry-After` doubled on each attempt, capped, plus up to half again at
 * random so that refused clients spread out instead of returning in a herd.
 */
export function busyDelayMs(
  retryAfter: number | undefined,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.max(1, retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS);
  const grown = Math.min(BUSY_MAX_WAIT_SECONDS, base * 2 ** (attempt - 1));
  return Math.round(grown * 1000 * (1 + random() / 2));
}

/** What a caller can show while waiting: "High demand — retrying in N s". */
export interface BusyWait {
  /** The attempt that was refused, from 1. */
  attempt: number;
  /** When the next attempt goes out (epoch ms). */
  retryAt: number;
}

/** The part of an answer the retry looks at. */
export interface BusyAnswer {
  status: number;
  /** `Retry-After` in seconds, when the answer carried one. */
  retryAfter?: number | undefined;
}

export interface BusyRetryOptions {
  /** Told before each wait (to show the countdown); called with null once it is over. */
  onWait?: (wait: BusyWait | null) => void;
  maxAttempts?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A refusal of admission control: 503 with Retry-After (a 503 without one is an outage, not retried here). */
export const isBusyRefusal = (answer: BusyAnswer) =>
  answer.status === 503 && answer.retryAfter !== undefined;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends with `send` until it is not refused as busy or `maxAttempts` were
 * refused; returns the last answer and whether it gave up on a busy GitTix.
 */
export async function withBusyRetry<A extends BusyAnswer>(
  send: () => Promise<A>,
  options: BusyRetryOptions = {},
): Promise<{ answer: A; gaveUp: boolean }> {
  const maxAttempts = options.maxAttempts ?? BUSY_MAX_ATTEMPTS;
  const sleep = options.sleep ?? sleepMs;
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    const answer = await send();
    if (!isBusyRefusal(answer)) {
      if (attempt > 1) options.onWait?.(null);
      return { answer, gaveUp: false };
    }
    if (attempt >= maxAttempts) {
      options.onWait?.(null);
      return { answer, gaveUp: true };
    }
    const delay = busyDelayMs(answer.retryAfter, attempt, options.random);
    options.onWait?.({ attempt, retryAt: now() + delay });
    await sleep(delay);
  }
}

/** The digest of a page's error when GitTix was busy: error.tsx retries those by itself. */
export const BUSY_DIGEST_PREFIX = 'GITTIX_BUSY:';

export function busyDigest(retryAfter: number): string {
  return `${BUSY_DIGEST_PREFIX}${retryAfter}`;
}

/** The `Retry-After` a busy digest carries; undefined for any other error. */
export function retryAfterOfDigest(digest: string | undefined | null): number | undefined {
  if (!digest?.startsWith(BUSY_DIGEST_PREFIX)) return undefined;
  const seconds = Number(digest.slice(BUSY_DIGEST_PREFIX.length));
  return Number.isInteger(seconds) && seconds >= 0 ? seconds : undefined;
}
