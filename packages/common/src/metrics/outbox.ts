import { type Kysely, sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import { scrapeReading } from './scrape-reading.js';

/**
 * The outbox in /metrics, read at each scrape: `gittix_outbox_pending_events`
 * (committed, not yet published) and `gittix_outbox_oldest_pending_age_seconds`
 * (0 when empty). A growing age means the relay is stuck (NATS away, a poison
 * row) while requests keep committing.
 */
export function registerOutboxMetrics<DB>(registry: Registry, db: Kysely<DB>): void {
  // One query per scrape, shared by both gauges; the last values while the database is away.
  const read = scrapeReading(async () => {
    const { rows } = await sql<{ pending: number; age: number | null }>`
      SELECT count(*)::int AS pending,
             extract(epoch FROM now() - min(created_at))::float8 AS age
      FROM outbox WHERE sent_at IS NULL`.execute(db);
    return { pending: rows[0]?.pending ?? 0, ageSeconds: Math.max(0, rows[0]?.age ?? 0) };
  });
  new Gauge({
    name: 'gittix_outbox_pending_events',
    help: 'Events committed to the outbox and not published yet',
    registers: [registry],
    async collect() {
      const outbox = await read();
      if (outbox) this.set(outbox.pending);
    },
  });
  new Gauge({
    name: 'gittix_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest event in the outbox not published yet (0 when none waits)',
    registers: [registry],
    async collect() {
      const outbox = await read();
      if (outbox) this.set(outbox.ageSeconds);
    },
  });
}
