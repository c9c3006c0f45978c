import { counterOf, type HandlerContext } from '@gittix/common';
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
  new Gauge({
    name: 'gittix_emails_waiting',
    help: 'Emails not sent yet: pending (due or backing off) and parked (recipient not in the users replica yet)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const { rows } = await sql<{ pending: number; parked: number }>`
          SELECT count(*) FILTER (WHERE to_address IS NOT NULL)::int AS pending,
                 count(*) FILTER (WHERE to_address IS NULL)::int AS parked
          FROM emails WHERE sent_at IS NULL AND failed_at IS NULL`.execute(db);
        this.set({ state: 'pending' }, rows[0]?.pending ?? 0);
        this.set({ state: 'parked' }, rows[0]?.parked ?? 0);
      } catch {
        // The database is away: /metrics still answers, with the last counts.
      }
    },
  });
  return { sent, failed };
}

/** Counts emails a handler gave up as out of date (`stale`), once its transaction commits. */
export function countStaleAfterCommit(context: HandlerContext, kinds: string[]): void {
  const { metrics, afterCommit } = context;
  if (!metrics || !afterCommit || kinds.length === 0) return;
  afterCommit(() => {
    for (const kind of kinds) failedEmails(metrics).inc({ kind, outcome: 'stale' });
  });
}
