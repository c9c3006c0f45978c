import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaPicker } from '../src/upstreams.js';
import { buildGateway, closedUrl, type FakeService, startFakeService } from './upstreams.js';

describe('when a service has several replicas (a comma list of URLs)', () => {
  let first: FakeService;
  let second: FakeService;
  let down: string;
  let gateway: FastifyInstance;
  let gatewayUrl: string;

  beforeAll(async () => {
    [first, second] = await Promise.all([startFakeService('a'), startFakeService('b')]);
    down = await closedUrl();
    gateway = await buildGateway({
      users: down,
      tickets: `${first.url},${second.url}`,
      // One replica of orders is down (killed, restarting).
      orders: `${first.url}, ${down}`,
      payments: down,
      web: down,
    });
    gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([first?.close(), second?.close()]);
  });

  it('when requests arrive, then they are spread over the replicas in turn', async () => {
    const before = [first.seen.length, second.seen.length];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${gatewayUrl}/api/tickets?i=${i}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }

    expect([first.seen.length - before[0]!, second.seen.length - before[1]!]).toEqual([3, 3]);
  });

  it('when a replica refuses a connection, then that request is a 503 and the next ones go to the replica that is up', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${gatewayUrl}/api/orders/${i}`);
      statuses.push(response.status);
      await response.arrayBuffer();
    }

    // At most the first request meets the down replica; it then rests for 2 s.
    expect(statuses.filter((status) => status === 503).length).toBeLessThanOrEqual(1);
    expect(statuses.slice(2)).toEqual([200, 200, 200, 200]);
  });
});

describe('replica picker', () => {
  it('when every replica is resting, then it still picks in turn (one may be back)', () => {
    let now = 0;
    const picker = new ReplicaPicker(['a', 'b'], 2_000, () => now);
    picker.unreachable('a');
    picker.unreachable('b');

    expect([picker.pick(), picker.pick()].sort()).toEqual(['a', 'b']);
    now = 1_000;
    picker.unreachable('a');
    now = 2_500; // b rested long enough, a not yet
    expect([picker.pick(), picker.pick(), picker.pick()]).toEqual(['b', 'b', 'b']);
  });
});
