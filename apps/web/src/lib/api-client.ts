import type { ApiErrorItem } from '@gittix/api-types';
import { readErrors } from './api-response';
import {
  BUSY_GAVE_UP_MESSAGE,
  type BusyWait,
  retryAfterSeconds,
  withBusyRetry,
} from './busy-retry';

export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; errors: ApiErrorItem[]; retryAfter?: number | undefined };

export interface SendOptions {
  /**
   * Told when GitTix refused the call as busy (503 + Retry-After) and when the
   * retry will go out, to show "High demand — retrying in N s"; null once over.
   */
  onBusy?: (wait: BusyWait | null) => void;
}

/**
 * The browser's way to the API: same origin through the gateway, so the HttpOnly
 * session cookie set by sign-in travels with every call without JavaScript seeing it.
 */
export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: `/api/${string}`,
  body?: unknown,
  options: SendOptions = {},
): Promise<ApiResult<T>> {
  // A busy refusal changed nothing: the same call is sent again after its Retry-After.
  const { answer, gaveUp } = await withBusyRetry(
    () => sendJsonOnce<T>(method, path, body),
    options.onBusy ? { onWait: options.onBusy } : {},
  );
  if (gaveUp && !answer.ok) return { ...answer, errors: [{ message: BUSY_GAVE_UP_MESSAGE }] };
  return answer;
}

async function sendJsonOnce<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: `/api/${string}`,
  body?: unknown,
): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    return {
      ok: false,
      status: 0,
      errors: [{ message: "Can't reach GitTix. Check your connection and try again." }],
    };
  }
  if (!response.ok)
    return {
      ok: false,
      status: response.status,
      errors: await readErrors(response),
      retryAfter: retryAfterSeconds(response.headers.get('retry-after')),
    };
  const data = (await response.json().catch(() => ({}))) as T;
  return { ok: true, status: response.status, data };
}

/** Ticket files the API takes, and how large (TICKET_FILE_MAX_BYTES). */
export const TICKET_FILE_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export const TICKET_FILE_MAX_BYTES = 2 * 1024 * 1024;

/** Sends a file as the raw body of a PUT (the browser streams it; no form encoding). */
export async function sendFile(path: `/api/${string}`, file: Blob): Promise<ApiResult<null>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    });
  } catch {
    return {
      ok: false,
      status: 0,
      errors: [{ message: "Can't reach GitTix. Check your connection and try again." }],
    };
  }
  if (!response.ok)
    return { ok: false, status: response.status, errors: await readErrors(response) };
  return { ok: true, status: response.status, data: null };
}
