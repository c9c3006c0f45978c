import type { ApiErrorItem } from '@gittix/api-types';

/**
 * What the API refused in a listing page's own URL, or null: a 400 there is the
 * visitor's link (a cursor from an old one, a search over 120 characters, a NUL),
 * to be said on the page with the way back, never the "Something went wrong" page.
 */
export function refusedQuery(response: {
  status: number;
  errors: readonly ApiErrorItem[];
}): string[] | null {
  return response.status === 400 ? response.errors.map((error) => error.message) : null;
}
