import { readFileSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';

/** Clock ticks per second of /proc (USER_HZ, 100 on Linux). */
const HZ = 100;

/** utime + stime of a process, in seconds; undefined once it is gone. */
export function processSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineSeconds(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + (ticks[4] ?? 0);
  return { busy: (total - idle) / HZ, total: total / HZ };
}

export interface CpuUsage {
  seconds: number;
  /** The whole machine's busy share, 0–1 (1 = every core busy). */
  machine: number;
  /** Each named process group's CPU, in cores (1 = one core fully busy). */
  cores: Record<string, number>;
}

/**
 * Measures CPU between start() and the returned stop(): the machine as a whole
 * and each named group of processes (a service, Postgres backends of our
 * databases, the benchmark itself), so a report can say who was busy.
 */
export function cpuMeter(groups: () => Promise<Record<string, number[]>>) {
  const start = async () => {
    const pids = await groups();
    const at = performance.now();
    const machine = machineSeconds();
    const before = new Map<number, number>();
    for (const list of Object.values(pids)) {
      for (const pid of list) before.set(pid, processSeconds(pid) ?? 0);
    }
    return async (): Promise<CpuUsage> => {
      const seconds = (performance.now() - at) / 1000;
      const machineAfter = machineSeconds();
      const cores: Record<string, number> = {};
      // Processes that appeared meanwhile (new pool connections) count from zero.
      for (const [name, list] of Object.entries(await groups())) {
        let used = 0;
        for (const pid of new Set([...(pids[name] ?? []), ...list])) {
          const after = processSeconds(pid);
          if (after !== undefined) used += after - (before.get(pid) ?? 0);
        }
        cores[name] = used / seconds;
      }
      return {
        seconds,
        machine:
          (machineAfter.busy - machine.busy) / Math.max(1e-9, machineAfter.total - machine.total),
        cores,
      };
    };
  };
  return { start };
}

/**
 * The process groups a run's CPU is split into: each service's process, this run's
 * Postgres backends (databases named gx_<run>_…), the infrastructure's servers and
 * this process (the load generator). `admin` is any pool on the run's Postgres.
 */
export function systemProcessGroups(options: {
  admin: Pick<pg.Pool, 'query'>;
  databasePrefix: string;
  services: readonly string[];
  pidOf: (service: string) => number | undefined;
  infra: Record<string, number[]>;
  /** More processes of a service, counted with it (a consumers-only process). */
  also?: Record<string, number[]>;
}): () => Promise<Record<string, number[]>> {
  return async () => {
    const { rows } = await options.admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE starts_with(datname, $1)',
      [options.databasePrefix],
    );
    return {
      ...Object.fromEntries(
        options.services.map((s) => [s, [options.pidOf(s) ?? -1, ...(options.also?.[s] ?? [])]]),
      ),
      postgres: rows.map((r) => r.pid),
      ...options.infra,
      bench: [process.pid],
    };
  };
}

/**
 * Starts measuring the CPU of the Postgres backends connected to `db`'s database;
 * the returned stop gives their seconds since, over the backends seen at either end
 * (a pool may open connections meanwhile).
 */
export async function databaseCpuMeter<DB>(db: Kysely<DB>): Promise<() => Promise<number>> {
  const backends = async (): Promise<number[]> => {
    const { rows } = await sql<{ pid: number }>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
    return rows.map((r) => r.pid);
  };
  const pids = await backends();
  const before = new Map(pids.map((pid) => [pid, processSeconds(pid) ?? 0]));
  return async () => {
    let seconds = 0;
    for (const pid of new Set([...pids, ...(await backends())])) {
      seconds += (processSeconds(pid) ?? 0) - (before.get(pid) ?? 0);
    }
    return seconds;
  };
}
