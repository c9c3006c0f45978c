import { request as httpRequest } from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent byte for byte: no URL normalisation, so `..` and `%2e` reach the gateway as written. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request over a fresh connection. `fetch` would resolve dot segments and
 * re-encode the path, hiding exactly the inputs a fuzzer wants to send.
 */
export function send(baseUrl: string, req: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  // Node sends a GET/HEAD/DELETE body with neither Content-Length nor chunking,
  // so the server would read it as a second request: always frame it.
  // A string body would also make Node write the headers in UTF-8 rather than Latin-1.
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  const headers = { ...req.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const client = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers,
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        const answer = (text: string) =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text });
        // A HEAD answer has no body; anything after it (a server wrongly sending one)
        // would only surface as a parse error of a next response that never was.
        if (req.method === 'HEAD') {
          answer('');
          response.resume();
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => answer(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      },
    );
    client.on('timeout', () => client.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    client.on('error', reject);
    client.end(body);
  });
}
