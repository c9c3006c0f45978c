import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Run for this long… */
  seconds?: number;
  /** …or send exactly this many requests. */
  amount?: number;
  method?: 'GET' | 'POST';
  /** Path (and body, headers) of the n-th request. */
  request: (n: number) => { path: string; body?: string; headers?: Record<string, string> };
  /** Called with every non-2xx response's status and body. */
  onRejected?: (status: number, body: string) => void;
}

export interface LoadResult {
  requests: number;
  /** First request sent to last response received, seconds. */
  seconds: number;
  /** Every response's latency in ms, at full precision (autocannon's histogram keeps whole ms). */
  latencies: number[];
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** autocannon with every response's latency kept, so runs can be merged and percentiles exact. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  let sent = 0;
  const latencies: number[] = [];
  let firstSent = Number.NaN;
  let lastReceived = Number.NaN;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        ...(options.amount !== undefined
          ? { amount: options.amount }
          : { duration: options.seconds ?? 5 }),
        timeout: 30,
        requests: [
          {
            method: options.method ?? 'GET',
            setupRequest: (request) => {
              if (sent === 0) firstSent = performance.now();
              return { ...request, ...options.request(sent++) };
            },
            ...(options.onRejected
              ? {
                  onResponse: (status: number, body: string) => {
                    if (status >= 300) options.onRejected?.(status, body);
                  },
                }
              : {}),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: latencies.length,
          // Not autocannon's duration: it notices the end only on its next 1 s tick.
          seconds: (lastReceived - firstSent) / 1000,
          latencies,
          statuses: Object.fromEntries(
            Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [
              code,
              Number(s.count),
            ]),
          ),
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      lastReceived = performance.now();
    });
  });
}

/** The message of a `{ errors: [{ message }] }` body, or the start of whatever came back. */
export function errorMessage(body: string): string {
  try {
    return (JSON.parse(body) as { errors: Array<{ message: string }> }).errors[0]!.message;
  } catch {
    return body.slice(0, 80);
  }
}
