import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { InfraUrls } from './infra.js';

/**
 * Drops every database, role, stream and Redis key whose name starts with `prefix`
 * (`gx_<run>_`), whatever state the run that made them ended in: what a test
 * run, a bench run or an interrupted one leaves behind.
 */
export async function dropRunData(prefix: string, infra: InfraUrls): Promise<void> {
  const client = new pg.Client({ connectionString: `${infra.postgresUrl}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    // The roles a least-privilege run provisioned (named after their databases).
    const roles = await client.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)',
      [prefix],
    );
    for (const { rolname } of roles.rows) {
      await client.query(`DROP ROLE IF EXISTS "${rolname}"`).catch(() => {});
    }
  } finally {
    await client.end();
  }

  const nc = await connect({ servers: infra.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix.toUpperCase())) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }

  const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
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
