import 'server-only';
import type { ApiErrorItem, CurrentUser } from '@gittix/api-types';
import { headers } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { readErrors } from './api-response';
import { busyDigest, retryAfterSeconds } from './busy-retry';
import { webConfig } from './config';
import { inGatewaySpan } from './gateway-span';
import { signInPath } from './next-path';

const TIMEOUT_MS = 10_000;

/** A gateway answer the page cannot render around (5xx, an unexpected 4xx); error.tsx shows it. */
export class GatewayError extends Error {
  /**
   * Next.js keeps an error's own digest on its way to error.tsx (the message is
   * hidden in production): a busy refusal's says so, with its Retry-After.
   */
  readonly digest: string | undefined;

  constructor(
    readonly status: number,
    readonly errors: ApiErrorItem[],
    path: string,
    retryAfter?: number,
  ) {
    super(`GET ${path} answered ${status}: ${errors.map((e) => e.message).join('; ')}`);
    this.name = 'GatewayError';
    this.digest = status === 503 && retryAfter !== undefined ? busyDigest(retryAfter) : undefined;
  }
}

/** The error for an answer a page cannot render around, busy refusals told apart. */
export function gatewayError(response: GatewayResponse<unknown>, path: string): GatewayError {
  return new GatewayError(
    response.status,
    response.errors,
    path,
    retryAfterSeconds(response.headers.get('retry-after')),
  );
}

export interface GatewayResponse<T> {
  status: number;
  data: T | null;
  headers: Headers;
  errors: ApiErrorItem[];
}

/**
 * Server-side reads go through the gateway too (GATEWAY_URL), carrying the visitor's
 * cookie so the services see the same session the browser has.
 */
export async function gatewayGet<T>(path: `/api/${string}`): Promise<GatewayResponse<T>> {
  const cookie = (await headers()).get('cookie');
  const url = new URL(path, webConfig().GATEWAY_URL);
  const sent: Record<string, string> = {
    accept: 'application/json',
    ...(cookie ? { cookie } : {}),
  };
  const response = await inGatewaySpan('GET', url, sent, () =>
    fetch(url, { headers: sent, cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) }),
  );
  if (response.ok) {
    return {
      status: response.status,
      data: (await response.json()) as T,
      headers: response.headers,
      errors: [],
    };
  }
  return {
    status: response.status,
    data: null,
    headers: response.headers,
    errors: await readErrors(response),
  };
}

/**
 * The data a page needs, or the page the visitor should see instead: a 404 is the
 * not-found page, a 401 is the sign-in form (coming back to `returnTo`), anything
 * else unexpected is the error page.
 */
export async function loadOrRedirect<T>(path: `/api/${string}`, returnTo: string): Promise<T> {
  const response = await gatewayGet<T>(path);
  if (response.data !== null) return response.data;
  if (response.status === 404) notFound();
  if (response.status === 401) redirect(signInPath(returnTo));
  throw gatewayError(response, path);
}

/** Once per request however many components ask (the header and the page both do). */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const response = await gatewayGet<{ currentUser: CurrentUser | null }>('/api/users/currentuser');
  if (response.data === null) {
    throw gatewayError(response, '/api/users/currentuser');
  }
  return response.data.currentUser ?? null;
});

/** The signed-in user, or a redirect to the sign-in form that comes back to `returnTo`. */
export async function requireUser(returnTo: string): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect(signInPath(returnTo));
  return user;
}
