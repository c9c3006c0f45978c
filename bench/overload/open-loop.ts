import { Agent, request as httpRequest } from 'node:http';

export interface OfferedRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface OpenLoopResult {
  /** Requests sent (on schedule: an open loop never waits for answers). */
  sent: number;
  /** Seconds the requests were sent over. */
  seconds: number;
  /** First request sent to last answer received, seconds. */
  wallSeconds: number;
  /** Answers by status; `error` for a connection error, `timeout` past the deadline. */
  statuses: Record<string, number>;
  /** 503 answers that carried a `Retry-After` (admission refusals). */
  refusedWithRetryAfter: number;
  /** Latency of every answer that was not a 503, ms. */
  admittedLatencies: number[];
  /** Latency of the 503 refusals, ms. */
  refusedLatencies: number[];
  /** When each answer below 500 arrived, ms after the first request left. */
  goodAnswersAt: number[];
}

/**
 * An open-loop load generator: requests leave at a fixed arrival rate whatever
 * the answers do, as real buyers arrive on an on-sale (a closed loop, like
 * autocannon's connections, slows down with the server and hides overload).
 * Keep-alive sockets are opened as needed, up to `maxSockets`; an answer slower
 * than `timeoutMs` is counted as `timeout`.
 */
export async function offerLoad(options: {
  url: string;
  perSecond: number;
  seconds: number;
  request: (n: number) => OfferedRequest;
  timeoutMs?: number;
  maxSockets?: number;
}): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 4096 });
  const timeoutMs = options.timeoutMs ?? 15_000;
  const total = Math.round(options.perSecond * options.seconds);
  const statuses: Record<string, number> = {};
  const admittedLatencies: number[] = [];
  const refusedLatencies: number[] = [];
  const goodAnswersAt: number[] = [];
  let refusedWithRetryAfter = 0;
  let lastAnswer = 0;
  let loadStarted = performance.now();
  const count = (key: string) => {
    statuses[key] = (statuses[key] ?? 0) + 1;
  };

  const send = (n: number) =>
    new Promise<void>((resolve) => {
      const spec = options.request(n);
      const started = performance.now();
      const done = (key: string) => {
        count(key);
        lastAnswer = performance.now();
        resolve();
      };
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: spec.method,
          path: spec.path,
          headers: {
            ...(spec.headers ?? {}),
            ...(spec.body ? { 'content-length': Buffer.byteLength(spec.body) } : {}),
          },
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            const latency = performance.now() - started;
            const status = res.statusCode ?? 0;
            if (status === 503) {
              refusedLatencies.push(latency);
              if (res.headers['retry-after']) refusedWithRetryAfter++;
            } else admittedLatencies.push(latency);
            if (status > 0 && status < 500) goodAnswersAt.push(performance.now() - loadStarted);
            done(String(status));
          });
          res.once('error', () => done('error'));
        },
      );
      let timedOut = false;
      req.once('timeout', () => {
        timedOut = true;
        req.destroy();
      });
      req.once('error', () => done(timedOut ? 'timeout' : 'error'));
      req.end(spec.body);
    });

  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  loadStarted = started;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - started) / 1000) * options.perSecond),
      );
      while (sent < due) inFlight.push(send(sent++));
      if (sent >= total) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  const sendingSeconds = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  agent.destroy();
  return {
    sent,
    seconds: sendingSeconds,
    wallSeconds: (lastAnswer - started) / 1000,
    statuses,
    refusedWithRetryAfter,
    admittedLatencies,
    refusedLatencies,
    goodAnswersAt,
  };
}
