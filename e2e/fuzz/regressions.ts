import { type RawRequest, send } from './raw-http.js';

/** What a check needs from the running system. */
export interface RegressionContext {
  baseUrl: string;
  sellerToken: string;
  ticketId: string;
}

/**
 * What the fuzzer found and was fixed (commit 9e6fb6d), each as the smallest
 * request that showed it: cheap to keep checking through the real gateway, even
 * when a seed no longer happens to draw it. `check` says what is wrong, or
 * nothing. See docs/fuzzing.md, "Findings".
 */
export interface Regression {
  id: string;
  found: string;
  check(context: RegressionContext): Promise<string | undefined>;
}

const json = { 'content-type': 'application/json' };

/** Sends each request; describes the first answer that is not `wanted`, or not in the error shape. */
async function expectAnswers(
  baseUrl: string,
  requests: RawRequest[],
  wanted: (status: number) => boolean,
): Promise<string | undefined> {
  for (const request of requests) {
    const r = await send(baseUrl, request);
    const shaped = r.text.startsWith('{"errors":[{"message":');
    if (!wanted(r.status) || (r.status >= 400 && !shaped)) {
      return `${request.method} ${request.path.slice(0, 80)} → ${r.status} ${r.text.slice(0, 200)}`;
    }
  }
  return undefined;
}

export const regressions: Regression[] = [
  {
    id: 'long-id-404',
    found: 'over 100 characters after /api/<group>/ got Fastify’s default 414 body',
    check: ({ baseUrl }) =>
      expectAnswers(
        baseUrl,
        [{ method: 'GET', path: `/api/tickets/${'a'.repeat(101)}` }],
        (s) => s === 404,
      ),
  },
  {
    id: 'non-utf8-escape-404',
    found: '/api/tickets/%C0%AE got Fastify’s default 400 FST_ERR_BAD_URL body',
    check: ({ baseUrl }) =>
      expectAnswers(baseUrl, [{ method: 'GET', path: '/api/tickets/%C0%AE' }], (s) => s === 404),
  },
  {
    id: 'unparseable-request-shaped',
    found: 'a raw byte >= 0x80 in the path got Fastify’s default "Client Error" body',
    check: ({ baseUrl }) =>
      expectAnswers(
        baseUrl,
        [{ method: 'GET', path: '/api/tickets/caf\u00e9' }],
        (s) => s === 400 || s === 404,
      ),
  },
  {
    id: 'oversized-body-413',
    found:
      'a body over 100 KiB got 503 "<Service> service unavailable" about one time in three: the service answered 413 and closed while the gateway still streamed (EPIPE)',
    // 200 KB fits in the socket buffers: the client has sent it all before the
    // gateway closes, so it always reads the answer (a 5 MB one may see a reset).
    check: ({ baseUrl }) => {
      const body = `{"email":"${'x'.repeat(200 * 1024)}"}`;
      const attempt: RawRequest = {
        method: 'POST',
        path: '/api/users/signup',
        headers: json,
        body,
      };
      return expectAnswers(baseUrl, Array(10).fill(attempt), (s) => s === 413);
    },
  },
  {
    id: 'nul-in-text-not-500',
    found: 'a NUL (U+0000) in a ticket title or in `q` was a 500 (Postgres text cannot hold it)',
    check: ({ baseUrl, sellerToken }) =>
      expectAnswers(
        baseUrl,
        [
          { method: 'GET', path: '/api/tickets?q=%00' },
          {
            method: 'POST',
            path: '/api/tickets',
            headers: { ...json, cookie: `session=${sellerToken}` },
            body: JSON.stringify({ title: 'a\u0000b', price: 1 }),
          },
        ],
        (s) => s === 400 || s === 200 || s === 201,
      ),
  },
  {
    id: 'cursor-year-zero-400',
    found: 'a cursor holding year 0000 was a 500 (JS accepts year 0, Postgres does not)',
    check: ({ baseUrl, ticketId }) => {
      // The cursor as the service writes it now: [sort, key, id].
      const cursor = Buffer.from(
        JSON.stringify(['newest', '0000-01-01T00:00:00.000000Z', ticketId]),
      );
      const path = `/api/tickets?cursor=${cursor.toString('base64url')}`;
      return expectAnswers(baseUrl, [{ method: 'GET', path }], (s) => s === 400);
    },
  },
];
