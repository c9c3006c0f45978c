import { eventSchemas } from '@gittix/common';
import fc from 'fast-check';
import type { Payload } from './hostile-http.js';
import { knownIssueFor } from './known-issues.js';
import { type RawResponse, send } from './raw-http.js';
import type { Credentials } from './sessions.js';
import { changes, type Snapshot, type SystemState } from './system-state.js';

/** One hostile request: where, as whom, with what. */
export interface FuzzRequest {
  method: string;
  path: string;
  credentials: Credentials;
  payload: Payload;
  requestId: string | undefined;
  extraHeaders: Record<string, string>;
  /** The route answers 401 to anyone not signed in (before or after validating the body). */
  signedInOnly: boolean;
}

const clip = (text: string, max = 300) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

/** How a request prints in a counterexample: readable even when its body is megabytes. */
export function printable(request: FuzzRequest): FuzzRequest {
  const body = request.payload.body;
  const shown =
    body === undefined
      ? 'none'
      : clip(
          Buffer.isBuffer(body) ? `<bytes ${body.toString('hex', 0, 100)}>` : JSON.stringify(body),
        );
  return Object.defineProperty(request, fc.toStringMethod, {
    value: () =>
      [
        `${request.method} ${clip(request.path)}`,
        `  as: ${request.credentials.label}`,
        `  content-type: ${String(request.payload.contentType)} (${request.payload.label})`,
        `  body: ${shown}`,
        `  x-request-id: ${clip(String(request.requestId), 80)}`,
        `  extra headers: ${clip(JSON.stringify(request.extraHeaders), 120)}`,
      ].join('\n'),
  });
}

export function headersOf(request: FuzzRequest): Record<string, string> {
  const headers: Record<string, string> = {
    ...request.extraHeaders,
    ...request.credentials.headers,
  };
  if (request.payload.contentType !== undefined)
    headers['content-type'] = request.payload.contentType;
  if (request.requestId !== undefined) headers['x-request-id'] = request.requestId;
  return headers;
}

/** Node answers 431 without a body past 16 KiB of headers; the fuzzer stays below that. */
export function fitsNodeHeaderLimit(request: FuzzRequest): boolean {
  const headers = Object.entries(headersOf(request)).reduce(
    (n, [k, v]) => n + k.length + Buffer.byteLength(v) + 4,
    0,
  );
  return request.path.length + headers < 14_000;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_ROUTE = /^\/api\/(?:tickets|orders|events)\/([A-Za-z0-9%._~-]+)(?:\?.*)?$/;
/** The services' bodyLimit, which the gateway enforces up front. */
const BODY_LIMIT = 100 * 1024;
/** A raw byte outside ASCII anywhere in the target: Node refuses to parse the request (400). */
const parseable = (request: FuzzRequest) => /^[\x21-\x7e]*$/.test(request.path);
/** The same z.uuid() the routes declare for `:id`. */
const isId = (value: string) =>
  eventSchemas['expiration.complete'].safeParse({ orderId: value }).success;

/**
 * docs/api.md: "A malformed id in a path is a 404". Checked where nothing else can
 * come first: a parseable signed-in GET or DELETE without a body or content type. `.` and
 * `..` (even as %2e) are dot-segments, not ids: URL normalisation may resolve
 * them to another route (RFC 3986, 6.2.2), and the proxy refuses `..` with a 400.
 */
function namesMalformedId(request: FuzzRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'DELETE') return false;
  if (request.credentials.kind !== 'valid') return false;
  if (request.payload.body !== undefined || request.payload.contentType !== undefined) return false;
  if (!parseable(request)) return false;
  const segment = ID_ROUTE.exec(request.path)?.[1];
  if (segment === undefined) return false;
  try {
    const id = decodeURIComponent(segment);
    return id !== '.' && id !== '..' && !isId(id);
  } catch {
    return false;
  }
}

function errorShapeProblem(response: RawResponse): string | undefined {
  if (!String(response.headers['content-type']).startsWith('application/json')) {
    return `content-type ${response.headers['content-type']}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return 'body is not JSON';
  }
  const errors = (body as { errors?: unknown })?.errors;
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'errors') {
    return 'body is not exactly {errors}';
  }
  if (!Array.isArray(errors) || errors.length === 0) return 'errors is not a non-empty array';
  for (const item of errors as Array<Record<string, unknown>>) {
    const keys = Object.keys(item ?? {});
    if (typeof item?.message !== 'string') return 'an error has no string message';
    if ('field' in item && typeof item.field !== 'string') return 'an error field is not a string';
    if (keys.some((k) => k !== 'message' && k !== 'field')) return `an error has keys ${keys}`;
  }
  return undefined;
}

/**
 * Sends the request and checks what must hold for any input whatsoever: no 5xx;
 * every error in the one error shape; a well-formed request id; nobody acts as
 * a user without a valid session; and a rejected request changes no state.
 */
export class ApiOracle {
  private baseline: Snapshot | undefined;
  /** How often each status (and each known issue) was seen: the fuzzer's coverage at a glance. */
  readonly tally = new Map<string, number>();

  constructor(
    private readonly baseUrl: string,
    private readonly state: SystemState,
    private readonly logDir: string,
    /** Called after an accepted request changed something (fixtures top themselves up). */
    private readonly afterChange: () => Promise<unknown> = async () => {},
  ) {}

  /**
   * The answer, or undefined when the connection was reset while the body was
   * still being sent, to a request Node cannot parse (the server cannot tell
   * where it ends) or with a body over the limit (the gateway answers 413 and
   * closes without reading it): the client may see the reset before the answer.
   */
  private async send(request: FuzzRequest): Promise<RawResponse | undefined> {
    try {
      return await send(this.baseUrl, {
        method: request.method,
        path: request.path,
        headers: headersOf(request),
        ...(request.payload.body === undefined ? {} : { body: request.payload.body }),
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      const reset = code === 'ECONNRESET' || code === 'EPIPE';
      const body = request.payload.body;
      const oversized = body !== undefined && Buffer.byteLength(body) > BODY_LIMIT;
      if (reset && body !== undefined && (oversized || !parseable(request))) return undefined;
      throw error;
    }
  }

  private async expectNoStateChange(what: () => string, allowed: string[] = []): Promise<void> {
    await this.state.settle();
    const after = await this.state.snapshot();
    const changed = changes(this.baseline!, after, allowed);
    if (changed.length > 0) throw new Error(`${what()}: ${changed.join(', ')}`);
  }

  async check(request: FuzzRequest): Promise<RawResponse> {
    this.baseline ??= await this.state.snapshot();
    const count = (key: string) => this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
    const response = await this.send(request);
    if (!response) {
      count('reset while uploading');
      await this.expectNoStateChange(() => 'a request reset while uploading changed state');
      return { status: 0, headers: {}, text: '' };
    }
    count(String(response.status));
    const id = response.headers['x-request-id'];
    const fail = (what: string) => {
      throw new Error(
        `${what}\n  answer: ${response.status} ${clip(response.text, 500)}\n` +
          `  request id ${id}: grep it in ${this.logDir}/*.log`,
      );
    };
    const body = request.payload.body ?? '';
    const known = knownIssueFor(response, {
      method: request.method,
      path: request.path,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    });
    if (response.status >= 500 && !known) fail(`a ${response.status}`);
    if (known) count(`known issue ${known.id}`);
    // Answers made before routing (an unparseable request, a router error) carry no
    // request id; any answer that has one must have a sane one, the client's if it was.
    if (id === undefined) count(`no x-request-id (${response.status})`);
    else if (!REQUEST_ID.test(String(id)))
      fail(`malformed x-request-id in the answer: ${clip(String(id), 80)}`);
    else if (
      request.requestId !== undefined &&
      REQUEST_ID.test(request.requestId) &&
      id !== request.requestId
    ) {
      fail(`the well-formed x-request-id ${request.requestId} came back as ${id}`);
    }
    if (response.status >= 400 && request.method !== 'HEAD') {
      const problem = errorShapeProblem(response);
      if (problem && !known) fail(`error not in the one error shape: ${problem}`);
    }
    // The gateway refuses a browser's write from another origin before routing it
    // (docs/gateway.md): only a cookie-borne write with a foreign Origin may get that.
    const refusedCrossOrigin =
      response.status === 403 && response.text.includes('Cross-origin request refused');
    if (refusedCrossOrigin) {
      const headers = headersOf(request);
      const foreign =
        headers.origin !== undefined && headers.cookie !== undefined && !headers.authorization;
      if (!foreign) fail('refused as cross-origin without a foreign Origin and a cookie');
      count('refused cross-origin');
    }
    if (namesMalformedId(request) && response.status !== 404 && !known && !refusedCrossOrigin) {
      fail('a malformed id in a path must be a 404');
    }
    const signedIn = request.credentials.kind === 'valid';
    if (!signedIn && request.signedInOnly && response.status < 300) {
      fail(`acted as a user without a valid session (${request.credentials.label})`);
    }
    const route = request.path.split('?')[0]!.replace(/\/$/, '');
    if (
      !signedIn &&
      request.method === 'GET' &&
      route === '/api/users/currentuser' &&
      response.status === 200
    ) {
      const current = (JSON.parse(response.text) as { currentUser?: unknown }).currentUser;
      if (current !== null) fail(`currentuser recognised ${JSON.stringify(current)}`);
    }

    await this.state.settle();
    const after = await this.state.snapshot();
    if (response.status >= 400) {
      // A declined card is recorded on purpose (it decides the next idempotency key).
      const allowed = response.status === 402 ? ['payments.payment_declines'] : [];
      const changed = changes(this.baseline, after, allowed);
      if (changed.length > 0) fail(`a rejected request changed state: ${changed.join(', ')}`);
    }
    const changedAnything = changes(this.baseline, after).length > 0;
    this.baseline = after;
    if (!changedAnything) return response;
    // Not part of the request under test: the next one starts from a new baseline.
    await this.afterChange();
    await this.state.settle();
    this.baseline = await this.state.snapshot();
    return response;
  }
}
