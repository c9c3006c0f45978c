import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitUrlList } from '@gittix/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jetStreamClusterReady,
  jetStreamClusterView,
  natsCluster,
  serverGroup,
} from '../system/infra.js';
import { pollUntil } from '../system/network.js';
import type { Server } from '../system/servers.js';

// What `npm run chaos -- --cluster` starts (startPrivateInfra({ natsNodes: 3 })), on its own.
describe('a NATS JetStream cluster of the launcher', () => {
  let root: string;
  let nodes: Server[];
  let cluster: Server;
  let monitorUrls: string[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gittix-nats-cluster-'));
    ({ nodes, monitorUrls } = await natsCluster({ root, count: 3 }));
    cluster = serverGroup(nodes);
    await cluster.start();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('when three nodes are started, then they form one cluster that every node sees with the same leader', async () => {
    await jetStreamClusterReady(monitorUrls);

    const views = await Promise.all(monitorUrls.map(jetStreamClusterView));
    expect(views.map((view) => view.size)).toEqual([3, 3, 3]);
    expect(new Set(views.map((view) => view.leader)).size).toBe(1);
    expect(views[0]!.leader).toMatch(/^nats-[123]$/);
    // Each node has a route to each of the two others.
    expect(views.map((view) => view.routes)).toEqual([2, 2, 2]);
  }, 60_000);

  it('when a stream with 3 replicas is made and one node stops, then the stream keeps taking messages', async () => {
    await jetStreamClusterReady(monitorUrls);
    const servers = splitUrlList(cluster.url);
    expect(servers).toHaveLength(3);
    const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas ?? []).toHaveLength(2);

      await nodes[2]!.stop();
      const js = jsm.jetstream();
      // While the stream elects a new leader (if it was on the stopped node) a
      // publish may find no responder: retried, as the services' outbox relay does.
      let stored = 0;
      await pollUntil(
        async () => {
          const ack = await js.publish('r3.one', 'kept', { timeout: 2_000 }).catch(() => undefined);
          stored = ack?.seq ?? 0;
          return ack !== undefined;
        },
        'a publish to the stream with one node down',
        20_000,
      );
      expect(stored).toBeGreaterThan(0);
      expect((await jsm.streams.info('R3')).state.messages).toBe(1);
      await nodes[2]!.start();
    } finally {
      await nc.close();
    }
  }, 60_000);
});
