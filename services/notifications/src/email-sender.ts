import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { NotificationsDatabase } from './db/schema.js';
import type { EmailMetrics } from './metrics.js';
import { isPermanentRejection, type MailTransport } from './smtp.js';

export interface EmailSenderOptions {
  db: Kysely<NotificationsDatabase>;
  transport: MailTransport;
  metrics: EmailMetrics;
  logger: Logger;
  /** The longest wait between two tries of one email. */
  retryMaxMs: number;
  /** The first retry's wait; it doubles on every failed try up to retryMaxMs. */
  retryBaseMs?: number;
  /** How often it looks for due emails. */
  pollIntervalMs?: number;
  batchSize?: number;
  /**
   * How long a claimed email is left to its sender before another may take it: it
   * covers one SMTP exchange (nodemailer's timeouts are 10 + 10 + 30 s), so only a
   * sender that died mid-send leaves an email to be resent.
   */
  claimMs?: number;
}

interface ClaimedEmail {
  id: string;
  kind: string;
  to_address: string;
  subject: string;
  text: string;
  html: string;
  message_id: string;
  attempts: number;
}

/**
 * Sends the emails that are due and marks them sent: at least once, and once in
 * all but one case. Each replica claims a batch (FOR UPDATE SKIP LOCKED, pushing the
 * rows' next try past the claim time) and sends outside any transaction. A crash
 * after the server accepted an email and before it was marked sent means one
 * resend, under the same Message-ID.
 */
export class EmailSender {
  private readonly retryBaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly claimMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: EmailSenderOptions) {
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.batchSize = options.batchSize ?? 10;
    this.claimMs = options.claimMs ?? 120_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch being sent; what is left goes on the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Sends one batch of due emails now; returns how many it tried. */
  async sendDue(): Promise<number> {
    await this.giveUpStale();
    const claimed = await this.claim();
    await Promise.all(claimed.map((email) => this.send(email)));
    return claimed.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let tried = 0;
      try {
        tried = await this.sendDue();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'email sender could not read its queue, retrying');
      }
      if (tried < this.batchSize) await this.sleep(this.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Emails past their `stale_after` are given up, never sent: they would say something untrue. */
  private async giveUpStale(): Promise<void> {
    const { rows } = await sql<{ id: string; kind: string }>`
      UPDATE emails SET failed_at = now(),
        last_error = 'not sent: out of date (stale_after passed before it could be sent)',
        text = CASE WHEN carries_secret THEN NULL ELSE text END,
        html = CASE WHEN carries_secret THEN NULL ELSE html END
      WHERE sent_at IS NULL AND failed_at IS NULL AND stale_after <= now()
      RETURNING id, kind`.execute(this.options.db);
    for (const row of rows) {
      this.options.metrics.failed.inc({ kind: row.kind, outcome: 'stale' });
      this.options.logger.info({ emailId: row.id, kind: row.kind }, 'email out of date, not sent');
    }
  }

  private async claim(): Promise<ClaimedEmail[]> {
    const { rows } = await sql<ClaimedEmail>`
      UPDATE emails SET attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => ${this.claimMs / 1000})
      WHERE id IN (
        SELECT id FROM emails
        WHERE sent_at IS NULL AND failed_at IS NULL AND to_address IS NOT NULL
          AND next_attempt_at <= now() AND (stale_after IS NULL OR stale_after > now())
        ORDER BY next_attempt_at LIMIT ${this.batchSize}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, to_address, subject, text, html, message_id, attempts`.execute(
      this.options.db,
    );
    return rows;
  }

  private async send(email: ClaimedEmail): Promise<void> {
    const { db, transport, metrics, logger } = this.options;
    const log = logger.child({ emailId: email.id, kind: email.kind, attempts: email.attempts });
    try {
      await transport.send({
        to: email.to_address,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.message_id,
      });
    } catch (error) {
      await this.recordFailure(email, error, log);
      return;
    }
    metrics.sent.inc({ kind: email.kind });
    // A token in a body is a key to the account: once sent, the copy here goes.
    await sql`
      UPDATE emails SET sent_at = now(), last_error = NULL,
        text = CASE WHEN carries_secret THEN NULL ELSE text END,
        html = CASE WHEN carries_secret THEN NULL ELSE html END
      WHERE id = ${email.id}`.execute(db);
    log.info('email sent');
  }

  private async recordFailure(email: ClaimedEmail, error: unknown, log: Logger): Promise<void> {
    const { db, metrics } = this.options;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1_000);
    if (isPermanentRejection(error)) {
      metrics.failed.inc({ kind: email.kind, outcome: 'rejected' });
      log.error({ err: error }, 'email refused by the SMTP server for good');
      // Given up like a sent one: a token in its body (still valid for a while) goes too.
      await sql`
        UPDATE emails SET failed_at = now(), last_error = ${message},
          text = CASE WHEN carries_secret THEN NULL ELSE text END,
          html = CASE WHEN carries_secret THEN NULL ELSE html END
        WHERE id = ${email.id}`.execute(db);
      return;
    }
    metrics.failed.inc({ kind: email.kind, outcome: 'retry' });
    const waitMs = Math.min(this.retryBaseMs * 2 ** (email.attempts - 1), this.options.retryMaxMs);
    log.warn({ err: error, retryInMs: waitMs }, 'email not sent, will retry');
    // Unless it was given up meanwhile (out of date, its order cancelled): that reason stays.
    await sql`
      UPDATE emails SET last_error = ${message},
        next_attempt_at = now() + make_interval(secs => ${waitMs / 1000})
      WHERE id = ${email.id} AND failed_at IS NULL`.execute(db);
  }
}
