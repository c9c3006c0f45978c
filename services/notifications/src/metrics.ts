import { counterOf, type HandlerContext, scrapeReading } from '@gittix/common';
import { type Kysely, sql } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NotificationsDatabase } from './db/schema.js';

export interface EmailMetrics {
  sent: Counter<'kind'>;
  failed: Counter<'kind' | 'outcome'>;
}

/**
 * Emails not sent, by kind and outcome: `retry` (a failed try, tried again later),
 * `rejected` (refused for good), `stale` (out of date before it could go: its hold
 * ran out or its order was cancelled). Shared by the sender and the handlers.
 */
export function failedEmails(registry: Registry): Counter<'kind' | 'outcome'> {
  return counterOf(registry, {
    name: 'gittix_emails_failed_total',
    help: 'Failed tries to send an email, by kind and outcome (retry: tried again later; rejected: refused for good; stale: out of date before it could be sent, given up)',
    labelNames: ['kind', 'outcome'],
  });
}

/** The sender's counters, and how many emails wait, on the app's `/metrics`. */
export function emailMetrics(registry: Registry, db: Kysely<NotificationsDatabase>): EmailMetrics {
  const sent = new Counter({
    name: 'gittix_emails_sent_total',
    help: 'Emails the SMTP server accepted, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  const failed = failedEmails(registry);
  // One query per scrape for both gauges; the last counts while the database is away.
  const read = scrapeReading(() => readWaitingEmails(db));
  new Gauge({
    name: 'gittix_emails_waiting',
    help: 'Emails not sent yet: pending (due or backing off) and parked (recipient not in the users replica yet)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const waiting = await read();
      if (!waiting) return;
      this.set({ state: 'pending' }, waiting.pending);
      this.set({ state: 'parked' }, waiting.parked);
    },
  });
  new Gauge({
    name: 'gittix_emails_oldest_waiting_age_seconds',
    help: 'Age of the oldest email not sent yet (0 when none waits): pending (an SMTP server away or refusing) and parked (a recipient whose user event never arrived)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const waiting = await read();
      if (!waiting) return;
      this.set({ state: 'pending' }, waiting.pendingAgeSeconds);
      this.set({ state: 'parked' }, waiting.parkedAgeSeconds);
    },
  });
  return { sent, failed };
}

interface WaitingEmails {
  pending: number;
  parked: number;
  pendingAgeSeconds: number;
  parkedAgeSeconds: number;
}

/** Emails not sent nor given up, and the age of the oldest, by state. */
async function readWaitingEmails(db: Kysely<NotificationsDatabase>): Promise<WaitingEmails> {
  const { rows } = await sql<{
    pending: number;
    parked: number;
    pending_age: number | null;
    parked_age: number | null;
  }>`
    SELECT count(*) FILTER (WHERE to_address IS NOT NULL)::int AS pending,
           count(*) FILTER (WHERE to_address IS NULL)::int AS parked,
           EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE to_address IS NOT NULL))::float8 AS pending_age,
           EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE to_address IS NULL))::float8 AS parked_age
    FROM emails WHERE sent_at IS NULL AND failed_at IS NULL`.execute(db);
  const row = rows[0];
  return {
    pending: row?.pending ?? 0,
    parked: row?.parked ?? 0,
    pendingAgeSeconds: Math.max(0, row?.pending_age ?? 0),
    parkedAgeSeconds: Math.max(0, row?.parked_age ?? 0),
  };
}

/** Counts emails a handler gave up as out of date (`stale`), once its transaction commits. */
export function countStaleAfterCommit(context: HandlerContext, kinds: string[]): void {
  const { metrics, afterCommit } = context;
  if (!metrics || !afterCommit || kinds.length === 0) return;
  afterCommit(() => {
    for (const kind of kinds) failedEmails(metrics).inc({ kind, outcome: 'stale' });
  });
}
