import { connect, type Socket } from 'node:net';
import { HTTPParser } from 'http-parser-js';

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

/** One request on its way: its bytes and when it was due. */
interface Sent {
  bytes: Buffer;
  dueAt: number;
}

/** A kept-alive connection carrying at most one request at a time. */
interface Connection {
  socket: Socket;
  current: Sent | undefined;
  status: number;
  retryAfter: boolean;
  keepAlive: boolean;
}

/** How often requests past their deadline are looked for. */
const SWEEP_MS = 250;

/**
 * An open-loop load generator: requests leave at a fixed arrival rate whatever
 * the answers do, as real buyers arrive on an on-sale (a closed loop, like
 * autocannon's connections, slows down with the server and hides overload).
 * Kept-alive connections are opened as needed, up to `maxSockets` (past that a
 * request waits for the first free one, its latency counted from when it was due);
 * an answer slower than `timeoutMs` is counted as `timeout`.
 *
 * It writes each request as one buffer on a `node:net` socket and reads answers
 * with http-parser-js, the parser autocannon uses, because the generator shares
 * the two cores with the system it measures: at the 5× step's 7,000 requests/s an
 * undici Pool cost this process 111–129 µs of CPU per request and this 32
 * (`bench/overload/refusal-cost.ts --open-loop 7000`; bench/bottlenecks.md §26).
 * It speaks only what the gateway answers: HTTP/1.1 with a length or chunks.
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
  const maxSockets = options.maxSockets ?? 4096;
  const url = new URL(options.url);
  const port = Number(url.port || 80);
  const total = Math.round(options.perSecond * options.seconds);
  const statuses: Record<string, number> = {};
  const admittedLatencies: number[] = [];
  const refusedLatencies: number[] = [];
  const goodAnswersAt: number[] = [];
  let refusedWithRetryAfter = 0;
  let lastAnswer = 0;
  let unanswered = 0;
  let sendingDone = false;
  let allAnswered: () => void = () => {};
  const answeredAll = new Promise<void>((resolve) => {
    allAnswered = resolve;
  });
  const idle: Connection[] = [];
  const busy = new Set<Connection>();
  const queued: Sent[] = [];
  let opened = 0;
  const started = performance.now();

  const count = (key: string) => {
    statuses[key] = (statuses[key] ?? 0) + 1;
    lastAnswer = performance.now();
    unanswered--;
    if (sendingDone && unanswered === 0) allAnswered();
  };

  const encode = (spec: OfferedRequest): Buffer => {
    const body = spec.body ?? '';
    let head = `${spec.method} ${spec.path} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    for (const [name, value] of Object.entries(spec.headers ?? {})) head += `${name}: ${value}\r\n`;
    return Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };

  const send = (connection: Connection, request: Sent) => {
    connection.current = request;
    connection.status = 0;
    connection.retryAfter = false;
    busy.add(connection);
    connection.socket.write(request.bytes);
  };

  /** The connection is free: the next queued request, or the idle list. */
  const release = (connection: Connection) => {
    busy.delete(connection);
    connection.current = undefined;
    if (!connection.keepAlive) return connection.socket.destroy();
    const request = queued.shift();
    if (request) send(connection, request);
    else idle.push(connection);
  };

  /** Ends a connection, counting its request (if any) as `outcome`. */
  const drop = (connection: Connection, outcome: 'error' | 'timeout') => {
    if (connection.current) {
      count(outcome);
      connection.current = undefined;
    }
    connection.socket.destroy();
  };

  const open = (request: Sent) => {
    const socket = connect({ host: url.hostname, port, noDelay: true });
    const parser = new HTTPParser(HTTPParser.RESPONSE);
    const connection: Connection = {
      socket,
      current: undefined,
      status: 0,
      retryAfter: false,
      keepAlive: true,
    };
    parser[HTTPParser.kOnHeadersComplete] = (info) => {
      connection.status = info.statusCode;
      connection.keepAlive = info.shouldKeepAlive;
      if (connection.status !== 503) return;
      for (let i = 0; i < info.headers.length; i += 2) {
        if (info.headers[i]!.toLowerCase() === 'retry-after') connection.retryAfter = true;
      }
    };
    parser[HTTPParser.kOnMessageComplete] = () => {
      const request = connection.current;
      if (!request) return;
      const now = performance.now();
      const latency = now - request.dueAt;
      if (connection.status === 503) {
        refusedLatencies.push(latency);
        if (connection.retryAfter) refusedWithRetryAfter++;
      } else admittedLatencies.push(latency);
      if (connection.status < 500) goodAnswersAt.push(now - started);
      count(String(connection.status));
      release(connection);
    };
    socket.on('data', (chunk: Buffer) => {
      if (parser.execute(chunk) instanceof Error) drop(connection, 'error');
    });
    socket.on('error', () => drop(connection, 'error'));
    socket.on('close', () => {
      drop(connection, 'error');
      busy.delete(connection);
      const at = idle.indexOf(connection);
      if (at >= 0) idle.splice(at, 1);
      opened--;
      // A request waiting for a connection gets a new one.
      const waiting = queued.shift();
      if (waiting) dispatch(waiting);
    });
    opened++;
    send(connection, request);
  };

  const dispatch = (request: Sent) => {
    const connection = idle.pop();
    if (connection) send(connection, request);
    else if (opened < maxSockets) open(request);
    else queued.push(request);
  };

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const connection of busy) {
      if (connection.current && now - connection.current.dueAt > timeoutMs) {
        drop(connection, 'timeout');
      }
    }
    while (queued.length > 0 && now - queued[0]!.dueAt > timeoutMs) {
      queued.shift();
      count('timeout');
    }
  }, SWEEP_MS);

  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - started) / 1000) * options.perSecond),
      );
      while (sent < due) {
        unanswered++;
        dispatch({ bytes: encode(options.request(sent++)), dueAt: performance.now() });
      }
      if (sent >= total) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  const sendingSeconds = (performance.now() - started) / 1000;
  sendingDone = true;
  if (unanswered > 0) await answeredAll;
  clearInterval(sweep);
  for (const connection of idle) connection.socket.destroy();
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
