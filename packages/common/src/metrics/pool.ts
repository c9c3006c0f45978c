import { Gauge, type Registry } from 'prom-client';
import { poolOf } from '../db.js';

/**
 * Postgres pool usage, read at each scrape from the pg Pools behind `pools`
 * (name → a Kysely made by createDb): `gittix_db_pool_connections{pool,state}`
 * (in_use, idle) and `gittix_db_pool_waiting_requests{pool}` (queries queued for a
 * connection: a pool too small, or a database too slow).
 */
export function registerPoolMetrics(
  registry: Registry,
  pools: Record<string, object | undefined>,
): void {
  const known = () =>
    Object.entries(pools).flatMap(([name, db]) => {
      const pool = db ? poolOf(db) : undefined;
      return pool ? [[name, pool] as const] : [];
    });
  const connections =
    (registry.getSingleMetric('gittix_db_pool_connections') as Gauge<'pool' | 'state'>) ??
    new Gauge({
      name: 'gittix_db_pool_connections',
      help: 'Connections of a Postgres pool: in_use (checked out) and idle',
      labelNames: ['pool', 'state'],
      registers: [registry],
    });
  const waiting =
    (registry.getSingleMetric('gittix_db_pool_waiting_requests') as Gauge<'pool'>) ??
    new Gauge({
      name: 'gittix_db_pool_waiting_requests',
      help: 'Queries waiting for a connection of a Postgres pool',
      labelNames: ['pool'],
      registers: [registry],
    });
  // Each call adds its pools to what the gauges read at scrape time.
  addCollector(connections, () => {
    for (const [name, pool] of known()) {
      connections.set({ pool: name, state: 'in_use' }, pool.totalCount - pool.idleCount);
      connections.set({ pool: name, state: 'idle' }, pool.idleCount);
    }
  });
  addCollector(waiting, () => {
    for (const [name, pool] of known()) waiting.set({ pool: name }, pool.waitingCount);
  });
}

const collectors = new WeakMap<Gauge<string>, Array<() => void>>();

/** prom-client calls one `collect` per metric: several registrations chain theirs. */
function addCollector<L extends string>(gauge: Gauge<L>, collect: () => void): void {
  const list = collectors.get(gauge as Gauge<string>);
  if (list) {
    list.push(collect);
    return;
  }
  const fresh = [collect];
  collectors.set(gauge as Gauge<string>, fresh);
  // prom-client reads `collect` off the metric at each scrape.
  (gauge as unknown as { collect: () => void }).collect = () => {
    for (const run of fresh) run();
  };
}
