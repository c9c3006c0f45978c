/** Any origin of ours would do: only whether a path stays on it matters. */
const SITE = 'https://gittix.invalid';

/**
 * Where sign-in may send the visitor next: a page of this site, or `fallback`.
 * The value is read the way the browser will read it (WHATWG URL parsing, which
 * drops tabs and newlines and treats `\` as `/`), so `/%09/evil.example`,
 * `//evil`, `/\evil` and `https:evil` all leave the site and are refused. What is
 * returned is the parsed path itself, never the raw string.
 */
export function safeNextPath(value: string | string[] | null | undefined, fallback = '/'): string {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw?.startsWith('/')) return fallback;
  // Control characters and backslashes never belong in a path we hand out.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return fallback;
  let url: URL;
  try {
    url = new URL(raw, SITE);
  } catch {
    return fallback;
  }
  if (url.origin !== SITE) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Parsing again must land on the same page: no second chance to leave the site.
  if (!path.startsWith('/') || path.startsWith('//')) return fallback;
  return path;
}

export function signInPath(next: string): string {
  return `/auth/signin?next=${encodeURIComponent(next)}`;
}
