import { testInfra, testRunId } from '@gittix/common/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Everything a bench run creates is named with this prefix (`uniqueName`). */
export function runPrefix(): string {
  return `gx_${testRunId()}_`;
}

/**
 * Drops every database, stream and Redis key of this run, whatever state the
 * run ended in (as the test suite's global teardown does for a test run).
 */
export async function dropRunData(): Promise<void> {
  const prefix = runPrefix();
  const client = new pg.Client({ connectionString: `${testInfra.postgresUrl}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }

  const nc = await connect({ servers: testInfra.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix.toUpperCase())) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }

  const redis = new Redis(testInfra.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
