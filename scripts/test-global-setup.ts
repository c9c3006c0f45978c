import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import { dropRunData } from './system/run-data.js';

const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const natsUrl = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function runPrefix(): string {
  const runId = process.env.GITTIX_TEST_RUN;
  if (!runId) throw new Error('GITTIX_TEST_RUN is not set (vitest.config.ts sets it)');
  return `gx_${runId}_`;
}

/** Fails fast, with the fix, when the infrastructure the tests need is not running. */
export async function setup(): Promise<void> {
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: `${postgresUrl}/postgres` });
  await client
    .connect()
    .then(() => client.query('SELECT 1'))
    .catch((e) => problems.push(`PostgreSQL at ${postgresUrl}: ${e.message}`))
    .finally(() => client.end().catch(() => {}));
  await connect({ servers: natsUrl, timeout: 3_000 })
    .then((nc) => nc.close())
    .catch((e) => problems.push(`NATS at ${natsUrl}: ${e.message}`));
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis
    .connect()
    .then(() => redis.quit())
    .catch((e) => problems.push(`Redis at ${redisUrl}: ${e.message}`));
  if (problems.length > 0) {
    throw new Error(
      `Tests need PostgreSQL, NATS (JetStream) and Redis running:\n  ${problems.join('\n  ')}\n` +
        'Start them as .ci/run does, or see "Troubleshooting" in README.md.',
    );
  }
}

/** Drops every database, stream and Redis key this run created, even after a crash. */
export async function teardown(): Promise<void> {
  await dropRunData(runPrefix(), { postgresUrl, natsUrl, redisUrl });
}
