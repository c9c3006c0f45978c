import { isBlankText, isWellFormedText } from '@gittix/common';
import { z } from 'zod';

/** The one error shape, for the OpenAPI document. */
export const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});

export const byId = z.object({ id: z.uuid() });

/** Postgres text cannot hold U+0000. */
export const hasNoNul = (value: string) => !value.includes('\u0000');

/** Said of a text field holding half a character (a lone `\ud83c` escape). */
const brokenCharacter = (label: string) =>
  `${label} must not contain a broken character (half of a surrogate pair)`;

/**
 * A required, trimmed text field of at most `max` characters, with something to see
 * in it (not only spaces or zero-width characters) and every character whole.
 */
export function text(label: string, max: number) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? `${label} is required` : `${label} must be a string`,
    })
    .trim()
    .refine((value) => !isBlankText(value), { message: `${label} must not be blank` })
    .max(max, { message: `${label} must be at most ${max} characters` })
    .refine(hasNoNul, { message: `${label} must not contain NUL characters` })
    .refine(isWellFormedText, { message: brokenCharacter(label) });
}

/** An optional search string of a query. */
export function searchText(name: string, max: number) {
  return z
    .string()
    .trim()
    .max(max, { message: `${name} must be at most ${max} characters` })
    .refine(hasNoNul, { message: `${name} must not contain NUL characters` })
    .refine(isWellFormedText, { message: brokenCharacter(name) })
    .optional();
}

/**
 * A number of a query string, written as people write one: digits, and with
 * `decimals` one decimal point (`1e1`, `0x10`, ` 5` and `Infinity` are not numbers
 * here, as they would be to `Number`). An empty value, as an empty form field
 * sends it, is no value.
 */
export function queryNumber(name: string, { decimals }: { decimals: boolean }) {
  // Empty matches too: the OpenAPI document shows the pattern.
  const written = decimals ? /^(\d+(\.\d+)?)?$/ : /^\d*$/;
  return z
    .string()
    .regex(written, { message: `${name} must be ${decimals ? 'a number' : 'a whole number'}` })
    .optional()
    .transform((value) => (value === undefined || value === '' ? undefined : Number(value)));
}

export const limit = queryNumber('limit', { decimals: false }).pipe(
  z
    .number()
    .min(1, { message: 'limit must be between 1 and 100' })
    .max(100, { message: 'limit must be between 1 and 100' })
    .default(100),
);

/** An opaque cursor of a Link header, decoded. */
export function cursorOf<T>(decode: (value: string) => T | undefined) {
  return z.string().transform((value, context): T => {
    const decoded = decode(value);
    if (decoded === undefined) {
      context.addIssue({ code: 'custom', message: 'Cursor is not one this service gave out' });
      return z.NEVER;
    }
    return decoded;
  });
}

/** Builds a `Link: <…>; rel="next"` header value from the query to repeat. */
export function nextLink(basePath: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  return `<${basePath}?${params}>; rel="next"`;
}
