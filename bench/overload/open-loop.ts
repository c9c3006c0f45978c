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

/** What came back, request by request; `settled` resolves once every request sent has an outcome. */
class Tally {
  readonly statuses: Record<string, number> = {};
  readonly admittedLatencies: number[] = [];
  readonly refusedLatencies: number[] = [];
  readonly goodAnswersAt: number[] = [];
  refusedWithRetryAfter = 0;
  lastAnswer = 0;
  private unsettled = 0;
  private sendingDone = false;
  private allSettled: () => void = () => {};
  readonly settled = new Promise<void>((resolve) => {
    this.allSettled = resolve;
  });

  constructor(private readonly started: number) {}

  sent(): void {
    this.unsettled++;
  }

  /** No more requests will be sent. */
  done(): void {
    this.sendingDone = true;
    if (this.unsettled === 0) this.allSettled();
  }

  answered(request: Sent, status: number, retryAfter: boolean): void {
    const now = performance.now();
    const latency = now - request.dueAt;
    if (status === 503) {
      this.refusedLatencies.push(latency);
      if (retryAfter) this.refusedWithRetryAfter++;
    } else this.admittedLatencies.push(latency);
    if (status < 500) this.goodAnswersAt.push(now - this.started);
    this.count(String(status));
  }

  failed(outcome: 'error' | 'timeout'): void {
    this.count(outcome);
  }

  private count(key: string): void {
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    this.lastAnswer = performance.now();
    this.unsettled--;
    if (this.sendingDone && this.unsettled === 0) this.allSettled();
  }
}

/**
 * Kept-alive connections to one origin, opened as requests need them up to
 * `maxSockets`; past that a request waits for the first free one. Each request is
 * one write; each answer is read with http-parser-js and told to the tally.
 */
class Connections {
  private readonly idle: Connection[] = [];
  private readonly busy = new Set<Connection>();
  private readonly queued: Sent[] = [];
  private opened = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly url: URL,
    private readonly maxSockets: number,
    private readonly timeoutMs: number,
    private readonly tally: Tally,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
  }

  encode(spec: OfferedRequest): Buffer {
    const body = spec.body ?? '';
    let head = `${spec.method} ${spec.path} HTTP/1.1\r\nhost: ${this.url.host}\r\n`;
    for (const [name, value] of Object.entries(spec.headers ?? {})) head += `${name}: ${value}\r\n`;
    return Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  dispatch(request: Sent): void {
    const connection = this.idle.pop();
    if (connection) this.send(connection, request);
    else if (this.opened < this.maxSockets) this.open(request);
    else this.queued.push(request);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const connection of this.idle) connection.socket.destroy();
  }

  private send(connection: Connection, request: Sent): void {
    connection.current = request;
    connection.status = 0;
    connection.retryAfter = false;
    this.busy.add(connection);
    connection.socket.write(request.bytes);
  }

  /** The connection is free: the next queued request, or the idle list. */
  private release(connection: Connection): void {
    this.busy.delete(connection);
    connection.current = undefined;
    if (!connection.keepAlive) {
      connection.socket.destroy();
      return;
    }
    const request = this.queued.shift();
    if (request) this.send(connection, request);
    else this.idle.push(connection);
  }

  /** Ends a connection, its request (if any) failed as `outcome`. */
  private drop(connection: Connection, outcome: 'error' | 'timeout'): void {
    if (connection.current) {
      this.tally.failed(outcome);
      connection.current = undefined;
    }
    connection.socket.destroy();
  }

  private open(request: Sent): void {
    const socket = connect({
      host: this.url.hostname,
      port: Number(this.url.port || 80),
      noDelay: true,
    });
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
      if (!connection.current) return;
      this.tally.answered(connection.current, connection.status, connection.retryAfter);
      this.release(connection);
    };
    socket.on('data', (chunk: Buffer) => {
      if (parser.execute(chunk) instanceof Error) this.drop(connection, 'error');
    });
    socket.on('error', () => this.drop(connection, 'error'));
    socket.on('close', () => {
      this.drop(connection, 'error');
      this.busy.delete(connection);
      const at = this.idle.indexOf(connection);
      if (at >= 0) this.idle.splice(at, 1);
      this.opened--;
      // A request waiting for a connection gets a new one.
      const waiting = this.queued.shift();
      if (waiting) this.dispatch(waiting);
    });
    this.opened++;
    this.send(connection, request);
  }

  /** Requests past their deadline, on a connection or still waiting for one. */
  private sweep(): void {
    const now = performance.now();
    for (const connection of this.busy) {
      if (connection.current && now - connection.current.dueAt > this.timeoutMs) {
        this.drop(connection, 'timeout');
      }
    }
    while (this.queued.length > 0 && now - this.queued[0]!.dueAt > this.timeoutMs) {
      this.queued.shift();
      this.tally.failed('timeout');
    }
  }
}

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
  const total = Math.round(options.perSecond * options.seconds);
  const started = performance.now();
  const tally = new Tally(started);
  const connections = new Connections(
    new URL(options.url),
    options.maxSockets ?? 4096,
    options.timeoutMs ?? 15_000,
    tally,
  );
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - started) / 1000) * options.perSecond),
      );
      while (sent < due) {
        tally.sent();
        const bytes = connections.encode(options.request(sent++));
        connections.dispatch({ bytes, dueAt: performance.now() });
      }
      if (sent >= total) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  const sendingSeconds = (performance.now() - started) / 1000;
  tally.done();
  await tally.settled;
  connections.close();
  return {
    sent,
    seconds: sendingSeconds,
    wallSeconds: (tally.lastAnswer - started) / 1000,
    statuses: tally.statuses,
    refusedWithRetryAfter: tally.refusedWithRetryAfter,
    admittedLatencies: tally.admittedLatencies,
    refusedLatencies: tally.refusedLatencies,
    goodAnswersAt: tally.goodAnswersAt,
  };
}
