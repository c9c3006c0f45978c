import { connect, type Socket } from 'node:net';

export interface SlowClientResult {
  /** Everything the server sent before the connection ended. */
  received: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

export interface SlowClientOptions {
  port: number;
  host?: string;
  /** Sent at once after connecting. */
  opening: string;
  /** Then this, one piece every `dripEveryMs`, for as long as the connection lasts. */
  drip?: string;
  dripEveryMs?: number;
  /** Gives up (rejects) if the server has not closed the connection by then. */
  deadlineMs: number;
}

/**
 * A slow-loris style client: opens a connection, sends `opening`, then trickles
 * `drip` forever (or stays idle), and reports when the server cut it off and what
 * it said. Rejects if the server is still holding the connection at the deadline.
 */
export function slowClient(options: SlowClientOptions): Promise<SlowClientResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect(options.port, options.host ?? '127.0.0.1');
    let received = '';
    let drip: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error(`the server still held the connection after ${options.deadlineMs} ms`));
    }, options.deadlineMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(deadline);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => {
      socket.write(options.opening);
      if (options.drip) {
        const piece = options.drip;
        drip = setInterval(() => {
          if (socket.writable) socket.write(piece);
        }, options.dripEveryMs ?? 100);
      }
    });
  });
}
