import type { Server } from 'node:http';

/** The HTTP server timeouts every GitTix process sets (baseConfigSchema's HTTP_* keys). */
export interface HttpTimeoutSettings {
  /** The whole request, headers and body, must arrive within this. */
  HTTP_REQUEST_TIMEOUT_MS: number;
  /** The request's headers must arrive within this (a slow-loris client is cut off). */
  HTTP_HEADERS_TIMEOUT_MS: number;
  /** An idle kept-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}

/**
 * Applies the timeouts to a server before it listens. Node enforces the header and
 * request timeouts on a sweep of open connections (every 30 s by default, which
 * would let a slow client hold a socket up to 30 s past its limit): the sweep runs
 * every second here, or faster for very short limits. A request cut off before
 * its headers completed is answered 408 in the error shape (clientErrorHandler).
 */
export function applyHttpTimeouts(server: Server, settings: HttpTimeoutSettings): void {
  const headersTimeout = Math.min(
    settings.HTTP_HEADERS_TIMEOUT_MS,
    settings.HTTP_REQUEST_TIMEOUT_MS,
  );
  server.requestTimeout = settings.HTTP_REQUEST_TIMEOUT_MS;
  server.headersTimeout = headersTimeout;
  server.keepAliveTimeout = settings.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  // Read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4)));
}
