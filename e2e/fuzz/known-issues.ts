import { type RawRequest, type RawResponse, send } from './raw-http.js';

/** What was sent, as the known issues need it. */
export interface SentRequest {
  method: string;
  path: string;
  body: Buffer;
}

/** What a reproduction needs from the running system. */
export interface ReproContext {
  baseUrl: string;
  sellerToken: string;
  ticketId: string;
}

/**
 * A bug the fuzzer found, reported and not fixed yet. The oracle lets an answer
 * through only when it is exactly this known wrong answer, so everything else
 * about such a request is still checked. `reproduce` sends the smallest request
 * showing it and says what is wrong, or nothing once it is fixed: api.test.ts
 * runs it as an expected failure, which then fails — delete the entry. See
 * docs/fuzzing.md, "Findings".
 */
export interface KnownIssue {
  id: string;
  summary: string;
  matches(response: RawResponse, sent: SentRequest): boolean;
  reproduce(context: ReproContext): Promise<string | undefined>;
}

const SOMETHING_WENT_WRONG = '{"errors":[{"message":"Something went wrong"}]}';
/** Every service's bodyLimit (createServiceApp's default). */
const SERVICE_BODY_LIMIT = 100 * 1024;
const json = { 'content-type': 'application/json' };

/** The `cursor` values of a path's query, decoded as the tickets service decodes them. */
function cursorTimes(path: string): string[] {
  const query = new URLSearchParams(path.split('?').slice(1).join('?'));
  return query.getAll('cursor').map((c) => {
    try {
      return String(JSON.parse(Buffer.from(c, 'base64url').toString('utf8'))[0]);
    } catch {
      return '';
    }
  });
}

/**
 * Fastify's own answers from before routing (bad URL, parser errors). To a HEAD
 * the body is not seen, so the fingerprint is theirs: JSON with no request id,
 * which every answer that went through a GitTix app carries.
 */
const fastifyDefault =
  (status: number, code: string | undefined, message?: string) =>
  (r: RawResponse, sent: SentRequest) => {
    if (r.status !== status) return false;
    if (sent.method === 'HEAD') {
      return (
        r.headers['x-request-id'] === undefined && r.headers['content-type'] === 'application/json'
      );
    }
    try {
      const body = JSON.parse(r.text) as Record<string, unknown>;
      return (
        body.statusCode === status &&
        body.code === code &&
        (message === undefined || body.message === message)
      );
    } catch {
      return false;
    }
  };

/** Sends each request; describes the first answer that is not `wanted` (status and shape). */
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

export const knownIssues: KnownIssue[] = [
  {
    id: 'gateway-max-param-length',
    summary:
      'a path with more than 100 characters after /api/<group>/ (a long id) gets Fastify’s default 414 body, not a 404 in the error shape',
    matches: fastifyDefault(414, 'FST_ERR_MAX_PARAM_LENGTH'),
    reproduce: ({ baseUrl }) =>
      expectAnswers(
        baseUrl,
        [{ method: 'GET', path: `/api/tickets/${'a'.repeat(101)}` }],
        (s) => s === 404,
      ),
  },
  {
    id: 'gateway-bad-url',
    summary:
      'a path whose percent-escapes are not UTF-8 (/api/tickets/%C0%AE) gets Fastify’s default 400 body, not a 404 in the error shape',
    matches: fastifyDefault(400, 'FST_ERR_BAD_URL'),
    reproduce: ({ baseUrl }) =>
      expectAnswers(baseUrl, [{ method: 'GET', path: '/api/tickets/%C0%AE' }], (s) => s === 404),
  },
  {
    id: 'gateway-client-error',
    summary:
      'a request Node’s HTTP parser refuses (a raw byte >= 0x80 in the path) gets Fastify’s default "Client Error" body',
    matches: fastifyDefault(400, undefined, 'Client Error'),
    reproduce: ({ baseUrl }) =>
      expectAnswers(
        baseUrl,
        [{ method: 'GET', path: '/api/tickets/caf\u00e9' }],
        (s) => s === 400 || s === 404,
      ),
  },
  {
    id: 'gateway-oversized-body-503',
    summary:
      'a body over the services’ 100 KiB limit sometimes gets 503 "<Service> service unavailable" instead of 413: the service answers 413 and closes while the gateway still streams the body (EPIPE)',
    matches: (r, sent) =>
      sent.body.length > SERVICE_BODY_LIMIT &&
      r.status === 503 &&
      /^\{"errors":\[\{"message":"\w+ service unavailable"\}\]\}$/.test(r.text),
    reproduce: ({ baseUrl }) => {
      const body = `{"email":"${'x'.repeat(2 * 1024 * 1024)}"}`;
      const attempt: RawRequest = {
        method: 'POST',
        path: '/api/users/signup',
        headers: json,
        body,
      };
      return expectAnswers(baseUrl, Array(20).fill(attempt), (s) => s === 413);
    },
  },
  {
    id: 'tickets-nul-in-text',
    summary:
      'a NUL character (U+0000) in a ticket title or in the `q` filter is a 500: Postgres text cannot hold it',
    matches: (r, sent) =>
      r.status === 500 &&
      r.text === SOMETHING_WENT_WRONG &&
      sent.path.startsWith('/api/tickets') &&
      (/%00/.test(sent.path) || sent.body.includes('\\u0000') || sent.body.includes(0)),
    reproduce: ({ baseUrl, sellerToken }) =>
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
        (s) => s < 500,
      ),
  },
  {
    id: 'tickets-cursor-year-zero',
    summary:
      'GET /api/tickets?cursor=<base64url of ["0000-01-01T00:00:00.000000Z", id]> is a 500: JS accepts year 0, Postgres does not',
    matches: (r, sent) =>
      r.status === 500 &&
      r.text === SOMETHING_WENT_WRONG &&
      cursorTimes(sent.path).some((t) => t.startsWith('0000-')),
    reproduce: ({ baseUrl, ticketId }) => {
      const cursor = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000000Z', ticketId]));
      const path = `/api/tickets?cursor=${cursor.toString('base64url')}`;
      return expectAnswers(baseUrl, [{ method: 'GET', path }], (s) => s === 400);
    },
  },
];

/** Which known issue explains this answer, if any. */
export function knownIssueFor(response: RawResponse, sent: SentRequest): KnownIssue | undefined {
  return knownIssues.find((issue) => issue.matches(response, sent));
}
