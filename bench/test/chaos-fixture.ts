import type { RequestRecord } from '../chaos/client.js';
import type { FaultRecord } from '../chaos/faults.js';
import { ReadinessMonitor } from '../chaos/readiness.js';

/**
 * A short chaos run as the run records it: requests all along, two faults, and
 * the readiness changes they caused. Each fault's `unready` is what the run's own
 * monitor reads off those changes.
 */
export function chaosFixture() {
  const services = ['auth', 'tickets', 'orders', 'gateway'];
  const loadMs = 40_000;
  const records: RequestRecord[] = [];
  const outcomeAt = (at: number): RequestRecord['outcome'] => {
    if (at >= 10_000 && at < 13_000) return at % 3 === 0 ? 503 : 201; // tickets down
    if (at >= 25_000 && at < 27_500) return 'connection'; // the gateway down
    if (at === 31_000) return 500;
    return at % 7 === 0 ? 400 : 200;
  };
  for (let at = 50; at < loadMs; at += 100) {
    records.push({ at, method: 'GET', route: 'GET /api/tickets', outcome: outcomeAt(at), ms: 5 });
  }
  records.push({ at: 31_000, method: 'POST', route: 'POST /api/orders', outcome: 500, ms: 9 });
  records.push({
    at: 31_500,
    method: 'POST',
    route: 'POST /api/orders',
    outcome: 'bad-body',
    ms: 9,
  });

  const monitor = new ReadinessMonitor({}, () => 0);
  monitor.changes.push(
    ...services.map((service) => ({ at: 100, service, ready: true })),
    { at: 10_100, service: 'tickets', ready: false },
    { at: 10_300, service: 'orders', ready: false },
    { at: 12_400, service: 'orders', ready: true },
    { at: 12_900, service: 'tickets', ready: true },
    { at: 25_050, service: 'gateway', ready: false },
    { at: 27_600, service: 'gateway', ready: true },
    { at: 38_000, service: 'auth', ready: false },
  );
  const fault = (
    name: string,
    target: string,
    [startedAt, returnedAt, allReadyAt, windowEndsAt]: number[],
  ): FaultRecord => ({
    name,
    target,
    kind: 'service',
    startedAt: startedAt!,
    returnedAt: returnedAt!,
    ownReadyAt: allReadyAt,
    allReadyAt,
    unready: monitor.unreadyBetween(startedAt!, allReadyAt!),
    windowEndsAt: windowEndsAt!,
  });
  const faults = [
    fault('kill -9 tickets', 'tickets', [10_000, 12_000, 13_000, 25_000]),
    fault('kill -9 gateway', 'gateway', [25_000, 27_000, 27_700, loadMs]),
  ];
  return { services, loadMs, records, faults, changes: monitor.changes };
}
