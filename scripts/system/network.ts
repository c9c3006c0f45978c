import { get } from 'node:http';
import { connect, createServer } from 'node:net';

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port nothing listens on right now, below the ephemeral range (32768 and
 * up on Linux) that outgoing connections take their local ports from: on a busy
 * machine one of those could take the port before the service listens on it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

export function portOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** What `orTimeout` settles with when the deadline comes first. */
export const TIMED_OUT = Symbol('timed out');

/** Settles as `promise` does, or with TIMED_OUT if `timeoutMs` pass first (`promise` runs on). */
export function orTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, timeoutMs));
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Polls `probe` until it says yes, or fails after the deadline naming `what`.
 * A probe that throws ends the wait with its error (e.g. the server process died).
 */
export async function pollUntil(
  probe: () => Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A probe that never settles (a request no timeout ends) must not hold the
    // wait past its deadline: the deadline was only checked between probes.
    const answer = await orTimeout(probe(), deadline - Date.now());
    if (answer === true) return;
    if (answer === TIMED_OUT || Date.now() > deadline) {
      const awaited = typeof what === 'string' ? what : what();
      const hung = answer === TIMED_OUT ? ' (its last check never answered)' : '';
      throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${awaited}${hung}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How one HTTP check ended: the status of an answer read to its end, or why there was none. */
export type HttpCheck = { status: number } | { failed: string };

/**
 * GETs `url` on a connection of its own (no pooled keep-alive socket) and reads the
 * answer to its end, or gives up after `timeoutMs` whatever stage it is at (connect,
 * headers or body): a timer of its own destroys the request, so no check outlives it.
 * Readiness waits use this rather than fetch: a round of fetches with
 * `AbortSignal.timeout` once hung for 240 s with every service listening (2 Dec, 3 Dec).
 */
export function checkHttp(url: string, timeoutMs = 2_000): Promise<HttpCheck> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: HttpCheck) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ failed: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      response.once('end', () => finish({ status: response.statusCode ?? 0 }));
      response.once('error', (error) => finish({ failed: error.message }));
    });
    request.once('error', (error: NodeJS.ErrnoException) =>
      finish({ failed: error.code ?? error.message }),
    );
  });
}
