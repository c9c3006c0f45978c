import type { RawResponse } from './raw-http.js';

/**
 * Bugs the fuzzer found that are reported and not fixed yet. The oracle lets an
 * answer through only when it is exactly the known wrong answer, so everything
 * else about such a request is still checked; each one also has a reproduction
 * in known-issues.test.ts that starts failing once it is fixed — then delete the
 * entry here. See docs/fuzzing.md, "Findings".
 */
export interface KnownIssue {
  id: string;
  summary: string;
  matches(response: RawResponse, sent: SentRequest): boolean;
}

/** What was sent, as the known issues need it. */
export interface SentRequest {
  path: string;
  body: Buffer;
}

const SOMETHING_WENT_WRONG = '{"errors":[{"message":"Something went wrong"}]}';

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

/** Every service's bodyLimit (createServiceApp's default). */
const SERVICE_BODY_LIMIT = 100 * 1024;

const fastifyDefault =
  (status: number, code: string | undefined, message?: string) => (r: RawResponse) => {
    if (r.status !== status) return false;
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

export const knownIssues: KnownIssue[] = [
  {
    id: 'gateway-max-param-length',
    summary:
      "more than 100 characters after /api/<group>/ (e.g. a long id) get the gateway's Fastify default 414 body, not 404 in the error shape",
    matches: fastifyDefault(414, 'FST_ERR_MAX_PARAM_LENGTH'),
  },
  {
    id: 'gateway-bad-url',
    summary:
      "a path with percent-escapes that are not UTF-8 (e.g. /api/tickets/%C0%AE) gets the gateway's Fastify default 400 body",
    matches: fastifyDefault(400, 'FST_ERR_BAD_URL'),
  },
  {
    id: 'gateway-client-error',
    summary:
      'requests Node\'s HTTP parser refuses (e.g. raw bytes >= 0x80 in the request target) get Fastify\'s default "Client Error" body',
    matches: fastifyDefault(400, undefined, 'Client Error'),
  },
  {
    id: 'gateway-oversized-body-503',
    summary:
      'a body over the 100 KiB limit sometimes gets 503 "<Service> service unavailable": the service answers 413 and closes while the gateway still streams the body (EPIPE)',
    matches: (r, sent) =>
      sent.body.length > SERVICE_BODY_LIMIT &&
      r.status === 503 &&
      /^\{"errors":\[\{"message":"\w+ service unavailable"\}\]\}$/.test(r.text),
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
  },
  {
    id: 'tickets-cursor-year-zero',
    summary:
      'GET /api/tickets?cursor=<base64url of ["0000-…", id]> is a 500: JS accepts year 0, Postgres does not',
    matches: (r, sent) =>
      r.status === 500 &&
      r.text === SOMETHING_WENT_WRONG &&
      cursorTimes(sent.path).some((t) => t.startsWith('0000-')),
  },
];

/** Which known issue explains this answer, if any. */
export function knownIssueFor(response: RawResponse, sent: SentRequest): KnownIssue | undefined {
  return knownIssues.find((issue) => issue.matches(response, sent));
}
