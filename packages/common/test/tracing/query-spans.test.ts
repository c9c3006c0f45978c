import { SpanKind } from '@opentelemetry/api';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextFromCarrier,
  createDb,
  initTracing,
  inSpan,
  shutdownTracing,
} from '../../src/index.js';
import {
  createTestDatabase,
  type OtlpReceiver,
  startOtlpReceiver,
  type TestDatabase,
} from '../../src/testing/index.js';

// initTracing installs the process's provider once: this file runs in a fork of its own.
describe('the Postgres spans of createDb, exporting', () => {
  let receiver: OtlpReceiver;
  let database: TestDatabase;
  let db: Kysely<unknown>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    initTracing({ serviceName: 'query-spans', otlpEndpoint: receiver.endpoint });
    database = await createTestDatabase('qspans');
    db = createDb(database.url, { max: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
    await receiver?.close();
  });

  const queryIn = (parent: ReturnType<typeof contextFromCarrier>) =>
    inSpan('GET /probe', { kind: SpanKind.SERVER, parent }, async (span) => {
      await sql`SELECT 1`.execute(db);
      return span.spanContext().traceId;
    });

  it('when the request is sampled, then its query is a pg span of its trace; when its caller did not sample it, then the query makes no span', async () => {
    const sampledTrace = await queryIn(
      contextFromCarrier({ traceparent: `00-${'a1'.repeat(16)}-${'b2'.repeat(8)}-01` }),
    );
    const unsampledTrace = await queryIn(
      contextFromCarrier({ traceparent: `00-${'c3'.repeat(16)}-${'d4'.repeat(8)}-00` }),
    );
    await shutdownTracing();

    expect(receiver.trace(sampledTrace).map((span) => span.name)).toEqual(
      expect.arrayContaining(['GET /probe', 'pg SELECT']),
    );
    expect(receiver.trace(unsampledTrace)).toEqual([]);
  });
});
