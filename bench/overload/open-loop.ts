import { Pool } from 'undici';

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

/** undici's error codes for an answer that did not come within the deadline. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * An open-loop load generator: requests leave at a fixed arrival rate whatever
 * the answers do, as real buyers arrive on an on-sale (a closed loop, like
 * autocannon's connections, slows down with the server and hides overload).
 * Kept-alive connections are opened as needed, up to `maxSockets`; an answer slower
 * than `timeoutMs` is counted as `timeout`. It sends with undici: at the 5× step's
 * rates (7,000/s) it cost this process ~100 µs of CPU per request against node:http's
 * ~170 (at 4,000/s the two were alike; bench/bottlenecks.md §17), and the generator
 * shares the machine with the system it measures.
 */
export async function offerLoad(options: {
  url: string;
  perSecond: number;
  seconds: number;
  request: (n: number) => OfferedRequest;
  timeoutMs?: number;
  maxSockets?: number;
}): Promise<OpenLoopResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pool = new Pool(new URL(options.url).origin, {
    connections: options.maxSockets ?? 4096,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
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
    lastAnswer = performance.now();
  };

  const send = async (n: number): Promise<void> => {
    const spec = options.request(n);
    const started = performance.now();
    try {
      const answer = await pool.request({
        method: spec.method,
        path: spec.path,
        headers: spec.headers ?? {},
        body: spec.body ?? null,
      });
      await answer.body.dump();
      const latency = performance.now() - started;
      const status = answer.statusCode;
      if (status === 503) {
        refusedLatencies.push(latency);
        if (answer.headers['retry-after']) refusedWithRetryAfter++;
      } else admittedLatencies.push(latency);
      if (status < 500) goodAnswersAt.push(performance.now() - loadStarted);
      count(String(status));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      count(typeof code === 'string' && TIMEOUT_CODES.has(code) ? 'timeout' : 'error');
    }
  };

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
  await pool.close();
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
