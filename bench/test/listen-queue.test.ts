import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acceptQueueIn,
  acceptQueueLength,
  listenOverflows,
  listenOverflowsIn,
  watchListenQueue,
} from '../harness/listen-queue.js';

/**
 * A process that listens on a free port, says which, then keeps its event loop busy
 * until it is killed: connections complete their handshake in the kernel and wait
 * in its accept queue, as they do in front of a CPU-starved gateway.
 */
async function stalledListener(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const server = require('node:net').createServer();
       server.listen(0, '127.0.0.1', 16, () => {
         // Writes to a pipe are synchronous on Linux: the line is out before the loop,
         // and the test connects once it has read it. Busy for at most 10 s (killed first).
         process.stdout.write(server.address().port + ' busy\\n');
         const until = Date.now() + 10000;
         while (Date.now() < until) {}
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let said = '';
  for await (const chunk of child.stdout!) {
    said += String(chunk);
    if (said.includes('busy')) break;
  }
  return { port: Number.parseInt(said, 10), child };
}

describe('the accept queue and listen overflows, from /proc', () => {
  const sockets: Socket[] = [];
  let child: ChildProcess | undefined;
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    child?.kill('SIGKILL');
  });

  it('when connections wait for a busy process to accept them, then the queue counts them and the watch keeps the largest it saw', async () => {
    const listener = await stalledListener();
    child = listener.child;
    const stop = watchListenQueue(listener.port, 20);
    // The child is busy: the kernel completes these handshakes alone.
    for (let i = 0; i < 5; i++) {
      const socket = connect(listener.port, '127.0.0.1');
      sockets.push(socket);
      await once(socket, 'connect');
    }
    await expect.poll(() => acceptQueueLength(listener.port)).toBe(5);
    // The last sample is taken as the watch stops.
    expect(stop()?.maxAcceptQueue).toBe(5);
    // A port nobody listens on has no queue.
    expect(acceptQueueLength(1)).toBeUndefined();
  });

  it('when /proc/net/netstat is read, then ListenOverflows is its TcpExt value, and an unreadable table gives nothing', () => {
    const netstat = [
      'TcpExt: SyncookiesSent DelayedACKs ListenOverflows ListenDrops',
      'TcpExt: 0 12 11283 11290',
      'IpExt: InNoRoutes',
      'IpExt: 0',
    ].join('\n');
    expect(listenOverflowsIn(netstat)).toBe(11283);
    expect(listenOverflowsIn('IpExt: InNoRoutes\nIpExt: 0')).toBeUndefined();
    expect(listenOverflowsIn(undefined)).toBeUndefined();
    expect(typeof listenOverflows()).toBe('number');
  });

  it('when the tables hold listeners on both families and connections, then only LISTEN rows of the port are summed', () => {
    const header =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid';
    const v4 = [
      header,
      '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000D0B 00:00000000 00000000 0',
      '   1: 0100007F:0BB9 00000000:0000 0A 00000000:00000007 00:00000000 00000000 0',
      '   2: 0100007F:0BB8 0100007F:9C40 01 00000000:00000100 00:00000000 00000000 0',
    ].join('\n');
    const v6 = [
      header,
      '   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000002 00:00000000 00000000 0',
    ].join('\n');
    // Port 3000 (0BB8): 3,339 waiting on IPv4 and 2 on IPv6; the established row's 256 bytes are no queue.
    expect(acceptQueueIn(3000, [v4, v6])).toBe(3341);
    expect(acceptQueueIn(3001, [v4, undefined])).toBe(7);
    expect(acceptQueueIn(3002, [v4, v6])).toBeUndefined();
  });
});
