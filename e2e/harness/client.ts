import { waitFor } from '@gittix/common/testing';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A buyer or seller talking to the gateway, keeping its session cookie like a browser. */
export class ApiClient {
  private cookie = '';

  constructor(readonly baseUrl: string) {}

  /** The session cookie as a `cookie` header value ('' when signed out). */
  get cookieHeader(): string {
    return this.cookie;
  }

  /** One request with the session cookie; keeps the cookie the answer sets; the body unparsed. */
  async send(method: string, path: string, body?: unknown, signal?: AbortSignal) {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
    const session = response.headers
      .getSetCookie()
      .find((c) => c.startsWith('session='))
      ?.split(';')[0];
    if (session !== undefined) this.cookie = session === 'session=' ? '' : session;
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const { status, text, headers } = await this.send(method, path, body);
    return { status, body: (text ? JSON.parse(text) : undefined) as T, headers };
  }

  get<T = unknown>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = unknown>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T = unknown>(path: string, body: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete<T = unknown>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Signs up a fresh user; the client then carries their session. */
  async signUp(label = 'user'): Promise<{ id: string; email: string }> {
    const email = `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const response = await this.post<{ id: string; email: string }>('/api/users/signup', {
      email,
      password: 'correct horse battery',
    });
    if (response.status !== 201) throw new Error(`signup failed: ${response.status}`);
    return response.body;
  }

  /** Polls a GET until `accept` says yes: events make other services catch up. */
  async eventually<T>(
    path: string,
    accept: (response: ApiResponse<T>) => boolean,
    message: string,
    timeoutMs = 15_000,
  ): Promise<ApiResponse<T>> {
    return waitFor(
      async () => {
        const response = await this.get<T>(path);
        return accept(response) && response;
      },
      { timeoutMs, message },
    );
  }
}
