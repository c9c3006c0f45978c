import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/**
 * The kernel's side of a listening port, read from /proc (Linux; undefined elsewhere):
 * how many connections wait in its accept queue (completed handshakes the process has
 * not accepted yet), and how many the machine dropped because such a queue was full.
 * Admission control cannot see either: a request is counted only once it is read.
 */

/** `TcpExt: ListenOverflows` of /proc/net/netstat: handshakes dropped on a full accept queue, machine-wide. */
export function listenOverflows(): number | undefined {
  return listenOverflowsIn(readOrUndefined('/proc/net/netstat'));
}

/** ListenOverflows of a /proc/net/netstat text. */
export function listenOverflowsIn(netstat: string | undefined): number | undefined {
  if (netstat === undefined) return undefined;
  const [names, values] = netstat.split('\n').filter((line) => line.startsWith('TcpExt:'));
  if (!names || !values) return undefined;
  const index = names.split(/\s+/).indexOf('ListenOverflows');
  const value = Number(values.split(/\s+/)[index]);
  return index > 0 && Number.isFinite(value) ? value : undefined;
}

const LISTEN = '0A';

/**
 * Connections waiting in the accept queue of `port`'s listening sockets (IPv4 and
 * IPv6): `rx_queue` of a LISTEN row of /proc/net/tcp{,6}. The kernel lists listening
 * sockets first, so only the head of each file is read: the connections after them
 * (thousands under overload) are never generated.
 */
export function acceptQueueLength(port: number): number | undefined {
  return acceptQueueIn(port, [headOf('/proc/net/tcp'), headOf('/proc/net/tcp6')]);
}

/** The accept queue of `port` in the text of /proc/net/tcp and /proc/net/tcp6. */
export function acceptQueueIn(
  port: number,
  tables: ReadonlyArray<string | undefined>,
): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let found = false;
  let waiting = 0;
  for (const table of tables) {
    for (const line of table?.split('\n').slice(1) ?? []) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (state !== LISTEN || !local?.endsWith(`:${hexPort}`)) continue;
      found = true;
      waiting += Number.parseInt(queues?.split(':')[1] ?? '0', 16);
    }
  }
  return found ? waiting : undefined;
}

export interface ListenQueueWatch {
  /** The most connections seen waiting in the accept queue at once (sampled). */
  maxAcceptQueue: number;
  /** Handshakes the machine dropped on a full accept queue meanwhile (any port). */
  overflows: number;
}

/**
 * Samples `port`'s accept queue every `everyMs` until stopped; the stop returns the
 * largest queue seen and the overflows counted meanwhile, or undefined off Linux.
 */
export function watchListenQueue(port: number, everyMs = 250): () => ListenQueueWatch | undefined {
  const overflowsBefore = listenOverflows();
  let max: number | undefined;
  const sample = () => {
    const now = acceptQueueLength(port);
    if (now !== undefined) max = Math.max(max ?? 0, now);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return () => {
    clearInterval(timer);
    sample();
    const overflowsAfter = listenOverflows();
    if (max === undefined || overflowsBefore === undefined || overflowsAfter === undefined) {
      return undefined;
    }
    return { maxAcceptQueue: max, overflows: overflowsAfter - overflowsBefore };
  };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The first `bytes` of a /proc file: the kernel generates only what is read. */
function headOf(path: string, bytes = 32 * 1024): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    const text = buffer.toString('latin1', 0, read);
    // A row cut at the end is left out.
    return read === bytes ? text.slice(0, text.lastIndexOf('\n')) : text;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
