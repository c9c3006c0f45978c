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
