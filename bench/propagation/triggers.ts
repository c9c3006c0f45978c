import type pg from 'pg';

export const COMMITTED_CHANNEL = 'gx_bench_ticket_committed';
export const REPLICATED_CHANNEL = 'gx_bench_ticket_replicated';
/** Only tickets titled like this are observed (the probe's own). */
export const PROBE_TITLE = 'probe ';

/**
 * NOTIFY is delivered when the notifying transaction commits, so these
 * triggers turn "the ticket row committed" (tickets) and "the replica row
 * committed" (orders) into events the observer timestamps on one clock.
 * The tickets side costs nothing extra: its transaction already notifies (the
 * outbox wake-up). The orders replica's transaction does not, so for probe
 * tickets only it gains a NOTIFY (a few dozen commits a second).
 */
export async function installProbeTriggers(tickets: pg.Pool, orders: pg.Pool): Promise<void> {
  for (const [pool, channel, name] of [
    [tickets, COMMITTED_CHANNEL, 'committed'],
    [orders, REPLICATED_CHANNEL, 'replicated'],
  ] as const) {
    await pool.query(`
      CREATE FUNCTION gx_bench_probe_${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${channel}', NEW.id::text); RETURN NEW; END $$`);
    await pool.query(`
      CREATE TRIGGER gx_bench_probe_${name} AFTER INSERT ON tickets FOR EACH ROW
      WHEN (NEW.title LIKE '${PROBE_TITLE}%') EXECUTE FUNCTION gx_bench_probe_${name}()`);
  }
}
