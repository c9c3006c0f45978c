import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Lines in a service log that mean the process went down on its own, not by our hand. */
const CRASH_MARKERS = ['stopping after an unexpected error', 'failed to start', '"level":60'];

/** Per service, how many times its log says it crashed (uncaught error, failed start, fatal). */
export function crashesInLogs(logDir: string, services: string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const service of services) {
    const path = join(logDir, `${service}.log`);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => CRASH_MARKERS.some((marker) => line.includes(marker)));
    if (lines.length > 0) {
      found[service] = lines.map((line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
          return `${entry.msg ?? ''}: ${entry.err?.message ?? ''}`.slice(0, 200);
        } catch {
          return line.slice(0, 200);
        }
      });
    }
  }
  return found;
}

/** How many orders the orders service's sweeper cancelled, from its processes' logs. */
export function ordersCancelledBySweeper(logDir: string, processes: string[]): number {
  let cancelled = 0;
  for (const process of processes.filter((name) => /^orders(-\d+)?$/.test(name))) {
    const path = join(logDir, `${process}.log`);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.includes('overdue orders cancelled by the sweeper')) continue;
      try {
        cancelled += ((JSON.parse(line) as { orders?: unknown[] }).orders ?? []).length;
      } catch {
        // a line cut short by a kill
      }
    }
  }
  return cancelled;
}
