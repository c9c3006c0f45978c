import type { MergedDocs } from './load-docs.js';
import type { OpenApiDocument } from './merge-openapi.js';

export interface DocsCacheOptions {
  load: () => Promise<MergedDocs>;
  /** How long a complete document is served before it is fetched again. */
  ttlMs: number;
  /** How long a document missing some service is kept: short, so it heals soon. */
  incompleteTtlMs: number;
  now?: () => number;
}

/**
 * The merged OpenAPI document, fetched from the services at most once per TTL
 * however many clients ask: concurrent requests share the fetch in flight, so
 * anonymous traffic on /api/docs/openapi.json never multiplies into upstream
 * fetches. A failed load is not cached.
 */
export function docsCache(options: DocsCacheOptions): () => Promise<OpenApiDocument> {
  const now = options.now ?? Date.now;
  let cached: { document: OpenApiDocument; expiresAt: number } | undefined;
  let loading: Promise<OpenApiDocument> | undefined;
  return () => {
    if (cached && cached.expiresAt > now()) return Promise.resolve(cached.document);
    loading ??= options
      .load()
      .then(({ document, unavailable }) => {
        const ttl = unavailable.length > 0 ? options.incompleteTtlMs : options.ttlMs;
        cached = { document, expiresAt: now() + ttl };
        return document;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
}
