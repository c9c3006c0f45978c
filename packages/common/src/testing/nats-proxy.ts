import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The proxy itself, run with `node -e` in a process of its own: in the test's process
 * it would read only between the test's turns, merging writes it is there to count.
 * Each line on stdin is a command (`count`, `pulls`, `hold`, `release`, `drop-pull`,
 * `dropped`); each is answered with one number on stdout.
 */
const PROXY = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const PULL = '$JS.API.CONSUMER.MSG.NEXT.';
let writes = 0;
let pulls = 0;
let held = null;
let dropArmed = false;
let dropped = 0;
// Cuts the first whole pull request (PUB <subject> <reply> <size>, then its payload) out
// of a chunk, as if the server had never received it; null when the chunk holds none.
function withoutPull(chunk) {
  const text = chunk.toString('latin1');
  const at = text.indexOf('PUB ' + PULL);
  if (at === -1 || (at > 0 && text.slice(at - 2, at) !== '\\r\\n')) return null;
  const lineEnd = text.indexOf('\\r\\n', at);
  if (lineEnd === -1) return null;
  const size = Number(text.slice(at, lineEnd).split(' ').pop());
  const end = lineEnd + 2 + size + 2;
  if (!Number.isInteger(size) || end > text.length) return null;
  return Buffer.concat([chunk.subarray(0, at), chunk.subarray(end)]);
}
const server = net.createServer((client) => {
  const upstream = net.connect(Number(port), host);
  let tail = '';
  client.on('data', (chunk) => {
    writes++;
    // A subject split between two chunks still counts once: search the last one's tail too.
    const text = tail + chunk.toString('latin1');
    for (let at = text.indexOf(PULL); at !== -1; at = text.indexOf(PULL, at + 1)) {
      if (at + PULL.length > tail.length) pulls++;
    }
    tail = text.slice(-(PULL.length - 1));
    if (dropArmed) {
      const rest = withoutPull(chunk);
      if (rest) {
        dropArmed = false;
        dropped++;
        chunk = rest;
      }
    }
    if (held) held.push([upstream, chunk]);
    else upstream.write(chunk);
  });
  upstream.pipe(client);
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
require('node:readline').createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'hold') held = [];
  if (command === 'release') {
    for (const [upstream, chunk] of held ?? []) upstream.write(chunk);
    held = null;
  }
  if (command === 'drop-pull') dropArmed = true;
  console.log(command === 'pulls' ? pulls : command === 'dropped' ? dropped : writes);
});
`;

export interface NatsProxy {
  /** Give clients this URL instead of the server's. */
  url: string;
  /** Socket writes the clients have made so far (each reaches the proxy as one chunk). */
  writes(): Promise<number>;
  /** JetStream pull requests (`CONSUMER.MSG.NEXT`) the clients have sent so far. */
  pulls(): Promise<number>;
  /** Keeps what clients send from the server (publishes wait for acks) until release(). */
  hold(): Promise<void>;
  /** Sends on what hold() kept, in order, and stops holding. */
  release(): Promise<void>;
  /**
   * Drops the next pull request a client sends (the first whole one in a write), as a
   * server that forgot it would: the client is told nothing, and no heartbeat comes.
   */
  dropNextPull(): Promise<void>;
  /** Pull requests dropped so far. */
  dropped(): Promise<number>;
  close(): void;
}

/** A TCP hop in front of the NATS server at `target` that counts and can hold what clients send. */
export async function startNatsProxy(target: URL): Promise<NatsProxy> {
  const child = spawn(process.execPath, ['-e', PROXY, target.hostname, target.port], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextNumber = async () => Number((await lines.next()).value);
  const port = await nextNumber();
  const command = async (line: string): Promise<number> => {
    child.stdin!.write(`${line}\n`);
    return nextNumber();
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    writes: () => command('count'),
    pulls: () => command('pulls'),
    hold: async () => {
      await command('hold');
    },
    release: async () => {
      await command('release');
    },
    dropNextPull: async () => {
      await command('drop-pull');
    },
    dropped: () => command('dropped'),
    close: () => {
      child.kill();
    },
  };
}
