import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { EventEnvelope } from '@gittix/common';
import {
  createTestEnvironment,
  streamMessages,
  type TestEnvironment,
  testInfra,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpirationFixture, type ExpirationFixture } from './fixtures.js';

/**
 * A TCP hop in front of NATS, in a process of its own so that it reads each write as
 * it comes (in this one it would read only between the service's turns, merging them):
 * it prints the number of chunks its clients have sent whenever it gets a line.
 */
const PROXY = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
let writes = 0;
const server = net.createServer((client) => {
  const upstream = net.connect(Number(port), host);
  client.on('data', (chunk) => { writes++; upstream.write(chunk); });
  upstream.pipe(client);
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('data', () => console.log(writes));
`;

async function countingProxy(target: URL) {
  const child = spawn(process.execPath, ['-e', PROXY, target.hostname, target.port], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => Number((await lines.next()).value);
  const port = await nextLine();
  return {
    url: `nats://127.0.0.1:${port}`,
    async writes(): Promise<number> {
      child.stdin!.write('\n');
      return nextLine();
    },
    close: () => {
      child.kill();
    },
  };
}

describe('a burst of expiries (bench/bottlenecks.md §18)', () => {
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let environment: TestEnvironment;
  let f: ExpirationFixture;

  beforeAll(async () => {
    proxy = await countingProxy(new URL(testInfra.natsUrl.split(',')[0]!));
    environment = await createTestEnvironment({ natsUrl: proxy.url });
    f = await createExpirationFixture({ environment });
  });
  afterAll(async () => {
    await f?.close();
    await environment?.close();
    proxy?.close();
  });

  it('when many orders fall due at once, then each fires once and their publishes share the writes to NATS', async () => {
    const orders = 200;
    await f.start();
    // Due far enough ahead that all 200 are scheduled first, on a loaded machine too.
    await Promise.all(Array.from({ length: orders }, () => f.orderCreated(4_000)));
    // Everything the test itself sends to NATS is sent by now; Redis tells the rest.
    await waitFor(async () => (await f.expirations.queue.getDelayedCount()) === orders, {
      message: 'every job scheduled',
    });
    const before = await proxy.writes();
    await waitFor(async () => (await f.expirations.queue.getCompletedCount()) === orders, {
      timeoutMs: 15_000,
      message: 'every job fired',
    });
    // Each fired job completes only after JetStream acknowledged its expiration.complete.
    // Published as each job came, they took 97 writes here (2,000 for 1,000 in the
    // bench, with the acks of order.cancelled); the jobs BullMQ hands over in one turn
    // now publish together (10-12 writes).
    const writes = (await proxy.writes()) - before;
    expect(writes).toBeLessThan(orders / 4);
    const fired = await streamMessages<EventEnvelope<'expiration.complete'>>(f.bus, {
      subject: f.bus.subjectOf('expiration.complete'),
    });
    expect(fired).toHaveLength(orders);
    expect(new Set(fired.map((message) => message.body.data.orderId)).size).toBe(orders);
  });
});
