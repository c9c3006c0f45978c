import type { ApiErrorItem } from '@gittix/api-types';

/** Reads the uniform error body; anything else (a proxy's HTML, an empty 502) gets a plain message. */
export async function readErrors(response: Response): Promise<ApiErrorItem[]> {
  const body: unknown = await response.json().catch(() => null);
  if (body && typeof body === 'object' && 'errors' in body && Array.isArray(body.errors)) {
    const items = body.errors.filter(
      (item: unknown): item is ApiErrorItem =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as ApiErrorItem).message === 'string',
    );
    if (items.length > 0) return items;
  }
  return [{ message: fallbackMessage(response.status) }];
}

function fallbackMessage(status: number): string {
  if (status === 401) return 'Please sign in first.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many attempts. Please wait a minute and try again.';
  if (status === 503 || status === 502 || status === 504) {
    return 'GitTix is having trouble right now. Please try again in a moment.';
  }
  return `Something went wrong (HTTP ${status}). Please try again.`;
}
