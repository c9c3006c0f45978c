/** `Link: <url>; rel="next", <url>; rel="prev"` → Map of rel → url. */
export function parseLinkHeader(value: string | null | undefined): Map<string, string> {
  const links = new Map<string, string>();
  if (!value) return links;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>((?:\s*;\s*[^;]+)*)/.exec(part.trim());
    if (!match) continue;
    const [, url = '', params = ''] = match;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(params)?.[1];
    if (!rel) continue;
    for (const name of rel.trim().split(/\s+/)) links.set(name.toLowerCase(), url);
  }
  return links;
}

/**
 * The query of the next page, minus the filters the page sets itself: what is left
 * is the cursor, whatever the tickets service calls it, carried in our own URL.
 */
export function nextPageCursor(
  linkHeader: string | null | undefined,
  ownParams: readonly string[],
): URLSearchParams | null {
  const next = parseLinkHeader(linkHeader).get('next');
  if (!next) return null;
  let query: URLSearchParams;
  try {
    query = new URL(next, 'http://gateway.invalid').searchParams;
  } catch {
    return null;
  }
  for (const name of ownParams) query.delete(name);
  return query;
}
