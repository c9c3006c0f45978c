import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateInfra, startPrivateInfra } from '../system/infra.js';
import { postgresAnswers } from '../system/servers.js';

describe('private servers: a caller may stop them and start them again', () => {
  let infra: PrivateInfra;

  beforeAll(async () => {
    infra = await startPrivateInfra();
  }, 120_000);
  afterAll(() => infra?.destroy());

  it('when Postgres is stopped and started, then it answers again on the same URL with its data', async () => {
    const query = async (text: string) => {
      const client = new pg.Client({ connectionString: `${infra.urls.postgresUrl}/postgres` });
      await client.connect();
      try {
        return (await client.query(text)).rows;
      } finally {
        await client.end();
      }
    };
    await query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    await infra.postgres.stop();
    expect(await postgresAnswers(infra.urls.postgresUrl, 500)).toBe(false);
    await infra.postgres.start();
    expect(await query('SELECT n FROM kept')).toEqual([{ n: 7 }]);
  }, 60_000);

  it('when NATS is stopped and started, then its JetStream streams are still there', async () => {
    const streamNames = async () => {
      const nc = await connect({ servers: infra.urls.natsUrl, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        const names: string[] = [];
        for await (const name of jsm.streams.names()) names.push(name);
        return { jsm, names, nc };
      } catch (error) {
        await nc.close();
        throw error;
      }
    };
    const first = await streamNames();
    await first.jsm.streams.add({ name: 'KEPT', subjects: ['kept.>'] });
    await first.nc.close();
    await infra.nats.stop();
    await expect(connect({ servers: infra.urls.natsUrl, reconnect: false })).rejects.toThrow();
    await infra.nats.start();
    const again = await streamNames();
    await again.nc.close();
    expect(again.names).toEqual(['KEPT']);
  }, 60_000);

  it('when Redis is stopped and started, then its keys are still there (append-only file)', async () => {
    const redis = () => new Redis(infra.urls.redisUrl, { maxRetriesPerRequest: 0 });
    const before = redis();
    await before.set('kept', 'yes');
    await before.quit();
    await infra.redis.stop();
    await infra.redis.start();
    const after = redis();
    expect(await after.get('kept')).toBe('yes');
    await after.quit();
  }, 60_000);
});
