import { ApiClient } from '../../e2e/harness/client.js';

/** What one request came to: an HTTP status, or why there was none. */
export type Outcome = number | 'connection' | 'timeout' | 'bad-body';

export interface RequestRecord {
  /** When the answer (or the failure) came, in ms since the run's clock started. */
  at: number;
  method: string;
  /** The route group, e.g. `POST /api/payments`. */
  route: string;
  outcome: Outcome;
  ms: number;
}

export interface ClientResponse<T> {
  outcome: Outcome;
  status: number;
  body: T;
}

/** Every request the virtual users made, for attributing errors to faults. */
export class RequestLog {
  readonly records: RequestRecord[] = [];
  /** Bodies of 500s: a 500 is always a bug, so keep what it said. */
  readonly serverErrors: Array<{ at: number; route: string; body: string; requestId: string }> = [];

  constructor(readonly clock: () => number) {}
}

const REQUEST_TIMEOUT_MS = 20_000;

function routeOf(method: string, path: string): string {
  const [group] = path.split('?');
  const normalized = group!.replace(/\/[0-9a-f-]{36}/g, '/:id');
  return `${method} ${normalized}`;
}

function outcomeOfError(error: unknown): Outcome {
  const name = (error as { name?: string }).name;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'connection';
}

/** A user of the gateway keeping its session cookie, that never throws: it records. */
export class LoadClient {
  private readonly api: ApiClient;
  userId = '';

  constructor(
    baseUrl: string,
    private readonly log: RequestLog,
  ) {
    this.api = new ApiClient(baseUrl);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown) {
    const route = routeOf(method, path);
    const started = performance.now();
    const done = <R>(outcome: Outcome, status: number, parsed: R): ClientResponse<R> => {
      const at = this.log.clock();
      this.log.records.push({ at, method, route, outcome, ms: performance.now() - started });
      return { outcome, status, body: parsed };
    };
    let answer: Awaited<ReturnType<ApiClient['send']>>;
    try {
      answer = await this.api.send(method, path, body, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    } catch (error) {
      return done(outcomeOfError(error), 0, undefined as T | undefined);
    }
    const { status, text, headers } = answer;
    if (status >= 500 && status !== 502 && status !== 503) {
      this.log.serverErrors.push({
        at: this.log.clock(),
        route,
        body: text.slice(0, 500),
        requestId: headers.get('x-request-id') ?? '',
      });
    }
    try {
      const parsed = (text ? JSON.parse(text) : undefined) as T | undefined;
      return done(status, status, parsed);
    } catch {
      return done('bad-body', status, undefined as T | undefined);
    }
  }

  get<T = unknown>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = unknown>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }
  delete<T = unknown>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** A failure the fault explains (the service or its dependency is down), not a business answer. */
export function isUnavailable(outcome: Outcome): boolean {
  return outcome === 'connection' || outcome === 'timeout' || outcome === 502 || outcome === 503;
}

/**
 * How the report counts an outcome: an answer (any status below 500, refusals
 * included), unavailable (what a fault explains), or another error (a bug).
 */
export type OutcomeClass = 'answered' | 'unavailable' | 'other';

export function classOf(outcome: Outcome): OutcomeClass {
  if (typeof outcome === 'number' && outcome < 500) return 'answered';
  return isUnavailable(outcome) ? 'unavailable' : 'other';
}
