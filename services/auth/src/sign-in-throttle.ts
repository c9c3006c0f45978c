import { TooManyRequestsError } from '@gittix/common';
import ipaddr from 'ipaddr.js';
import { type Kysely, sql } from 'kysely';
import type { AuthDatabase } from './db/schema.js';

export interface SignInLimits {
  maxFailuresPerEmail: number;
  maxFailuresPerAddress: number;
  /** Failures a known device may make before it is treated as unknown. */
  maxFailuresPerDevice: number;
  /** Failures of all unknown clients together (credential stuffing from many addresses). */
  maxFailuresGlobal: number;
  windowSeconds: number;
}

/** One counter and how many counts it allows per window. */
export interface Counter {
  key: string;
  max: number;
}

export class ThrottledError extends TooManyRequestsError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'Too many failed sign-in attempts, try again later',
  ) {
    super(message);
  }
}

/** Kept for the routes that name it. */
export { ThrottledError as SignInThrottledError };

export const emailKey = (email: string) => `email:${email}`;
/**
 * Who a client address stands for, for the per-address limits. An IPv6 client is
 * given a whole /64 (one home line, one cloud instance): counting each of its 2^64
 * addresses apart would let it spray from as many. An IPv4 address written IPv4-mapped
 * (`::ffff:192.0.2.1`, as a dual-stack socket reports it) is that IPv4 address.
 */
export function clientNetwork(address: string): string {
  const bare = address.split('%')[0]!.trim();
  if (!ipaddr.isValid(bare)) return bare.toLowerCase();
  const parsed = ipaddr.process(bare);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/64`);
  return `${prefix.toString()}/64`;
}

export const addressKey = (address: string) => `address:${clientNetwork(address)}`;
export const deviceKey = (nonce: string) => `device:${nonce}`;
export const GLOBAL_KEY = 'global';

/**
 * Counts one attempt against each counter before the work it guards, and throws once
 * any is over its limit. Counting first, in one atomic upsert, means parallel attempts
 * cannot slip past the limit, and the counters live in Postgres so every replica
 * agrees. A window is fixed: it starts at the first count and resets once
 * `windowSeconds` have passed.
 */
export async function countAttempt(
  db: Kysely<AuthDatabase>,
  counters: Counter[],
  windowSeconds: number,
  message?: string,
): Promise<void> {
  const window = sql<Date>`now() - make_interval(secs => ${windowSeconds})`;
  const expired = sql<boolean>`sign_in_failures.window_started_at <= ${window}`;
  await db.deleteFrom('sign_in_failures').where('window_started_at', '<=', window).execute();
  const rows = await db
    .insertInto('sign_in_failures')
    .values(counters.map(({ key }) => ({ key, failures: 1 })))
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        failures: sql`CASE WHEN ${expired} THEN 1 ELSE sign_in_failures.failures + 1 END`,
        window_started_at: sql`CASE WHEN ${expired} THEN now() ELSE sign_in_failures.window_started_at END`,
      }),
    )
    .returning([
      'key',
      'failures',
      sql<number>`ceil(extract(epoch FROM window_started_at + make_interval(secs => ${windowSeconds}) - now()))`.as(
        'retry_after',
      ),
    ])
    .execute();
  const maxOf = new Map(counters.map(({ key, max }) => [key, max]));
  const over = rows.filter(({ key, failures }) => failures > (maxOf.get(key) ?? 0));
  if (over.length > 0) {
    const retryAfter = Math.max(...over.map((counter) => Number(counter.retry_after)));
    throw new ThrottledError(Math.max(1, retryAfter), message);
  }
}

/** A success clears its own counter and takes back its count from the shared ones. */
export async function forgiveAttempt(
  db: Kysely<AuthDatabase>,
  clear: string,
  shared: string[] = [],
): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('key', '=', clear).execute();
  if (shared.length === 0) return;
  await db
    .updateTable('sign_in_failures')
    .set({ failures: sql`failures - 1` })
    .where('key', 'in', shared)
    .where('failures', '>', 0)
    .execute();
}
