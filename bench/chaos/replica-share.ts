import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markdownTable } from '../harness/markdown.js';
import type { InvariantResult } from './invariants.js';

/** What one process's log says it did. */
export interface ReplicaWork {
  /** The process, e.g. `orders-2`. */
  process: string;
  service: string;
  /** API requests it answered (`request completed` lines under /api). */
  requests: number;
  /** Events its consumers handled (`event handled`), by subject. */
  handled: Record<string, number>;
  /** Deliveries its inbox found already handled (`duplicate event ignored`). */
  duplicatesIgnored: number;
}

export interface ReplicaShare {
  replicas: ReplicaWork[];
  /** Events whose effect ran more than once across a service's replicas: must be none. */
  appliedTwice: string[];
  /** Events delivered again after a first handling (a kill between commit and ack) and ignored. */
  duplicatesIgnored: number;
  /** Events handled, in all (inbox consumers). */
  eventsHandled: number;
}

/** Services whose consumers record each event in a database inbox (handleOnce). */
const INBOX_SERVICES = new Set(['tickets', 'orders', 'payments', 'notifications', 'auth']);

interface LogLine {
  msg?: string;
  eventId?: string;
  subject?: string;
  req?: { url?: string };
}

/**
 * The share of work of each replica, from its log (the services log each request
 * at info and each handled event at debug: the cluster run runs them at debug).
 * An event's effect ran once per `event handled` line minus each `duplicate event
 * ignored` line for it, summed over the service's replicas: more than one is an
 * event handled twice.
 */
export function shareOfWork(logs: Record<string, string>): ReplicaShare {
  const replicas: ReplicaWork[] = [];
  const applied = new Map<string, number>();
  let duplicatesIgnored = 0;
  let eventsHandled = 0;
  for (const [process, text] of Object.entries(logs)) {
    const service = process.replace(/-\d+$/, '');
    const work: ReplicaWork = { process, service, requests: 0, handled: {}, duplicatesIgnored: 0 };
    for (const raw of text.split('\n')) {
      if (!raw.startsWith('{')) continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      if (line.msg === 'request completed' && line.req?.url?.startsWith('/api/')) work.requests++;
      else if (line.msg === 'event handled' && line.eventId && line.subject) {
        work.handled[line.subject] = (work.handled[line.subject] ?? 0) + 1;
        if (INBOX_SERVICES.has(service)) {
          eventsHandled++;
          const key = `${service} ${line.subject} ${line.eventId}`;
          applied.set(key, (applied.get(key) ?? 0) + 1);
        }
      } else if (line.msg === 'duplicate event ignored' && line.eventId && line.subject) {
        work.duplicatesIgnored++;
        duplicatesIgnored++;
        const key = `${service} ${line.subject} ${line.eventId}`;
        applied.set(key, (applied.get(key) ?? 0) - 1);
      }
    }
    replicas.push(work);
  }
  const appliedTwice = [...applied]
    .filter(([, times]) => times > 1)
    .map(([key, times]) => `${key}: applied ${times} times`);
  replicas.sort((a, b) => a.process.localeCompare(b.process, 'en', { numeric: true }));
  return { replicas, appliedTwice, duplicatesIgnored, eventsHandled };
}

/** Reads `<logDir>/<process>.log` of each process (absent logs count as empty). */
export function readReplicaLogs(logDir: string, processes: string[]): Record<string, string> {
  return Object.fromEntries(
    processes.map((process) => {
      const path = join(logDir, `${process}.log`);
      return [process, existsSync(path) ? readFileSync(path, 'utf8') : ''];
    }),
  );
}

const percent = (part: number, whole: number) =>
  whole === 0 ? '—' : `${Math.round((part / whole) * 100)} %`;

/** The report's "per-replica share of work" section: requests and events per replica. */
export function replicaShareSection(share: ReplicaShare): string {
  const byService = new Map<string, ReplicaWork[]>();
  for (const work of share.replicas) {
    byService.set(work.service, [...(byService.get(work.service) ?? []), work]);
  }
  const rows = [
    [
      'replica',
      'API requests served',
      'share',
      'events handled',
      'share',
      'by subject',
      'duplicates ignored',
    ],
  ];
  for (const works of byService.values()) {
    const requests = works.reduce((sum, w) => sum + w.requests, 0);
    const total = (w: ReplicaWork) => Object.values(w.handled).reduce((sum, n) => sum + n, 0);
    const events = works.reduce((sum, w) => sum + total(w), 0);
    for (const work of works) {
      const subjects = Object.entries(work.handled)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([subject, n]) => `${subject} ${n}`)
        .join(', ');
      rows.push([
        work.process,
        String(work.requests),
        percent(work.requests, requests),
        String(total(work)),
        percent(total(work), events),
        subjects || '—',
        String(work.duplicatesIgnored),
      ]);
    }
  }
  return [
    '## Per-replica share of work',
    '',
    'From each replica\'s log: API requests it answered (the gateway spreads them round-robin over a service\'s replicas) and events its consumers handled (the replicas share one durable consumer per subject, so JetStream gives each message to one of them). A replica that was killed and restarted appends to the same log. "Duplicates ignored" are deliveries its inbox had already recorded (a message redelivered after a kill between the commit and the ack): harmless, and never a second effect.',
    '',
    markdownTable(rows),
    '',
    `Events handled by the inbox consumers: ${share.eventsHandled}; duplicates ignored: ${share.duplicatesIgnored}; effects applied twice: ${share.appliedTwice.length}.`,
    '',
  ].join('\n');
}

/** Nothing handled twice across replicas: each event's effect ran at most once per service. */
export function nothingHandledTwice(share: ReplicaShare): InvariantResult {
  return {
    name: "Nothing handled twice across replicas (replica logs: an event's effect ran at most once per service)",
    pass: share.appliedTwice.length === 0,
    summary: `${share.eventsHandled} events handled by ${share.replicas.length} processes, ${share.duplicatesIgnored} redeliveries ignored by the inbox, ${share.appliedTwice.length} applied twice`,
    violations: share.appliedTwice.slice(0, 8),
    violationCount: share.appliedTwice.length,
  };
}
