import { defineService, postgres } from '@gittix/common';
import { buildApp } from './app.js';
import { addressOf, notificationsConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { NotificationsDatabase } from './db/schema.js';
import { EmailSender, type EmailSenderOptions } from './email-sender.js';
import { notificationsSubscriptions } from './events/subscriptions.js';
import { emailMetrics } from './metrics.js';
import { type MailTransport, smtpTransport } from './smtp.js';

/** What a test may hand the notifications service instead of the configured ones. */
export interface NotificationsParts {
  transport: MailTransport;
  /** The sender's timing (retries, polling, claims), shortened by tests. */
  sender: Pick<EmailSenderOptions, 'retryBaseMs' | 'pollIntervalMs' | 'claimMs' | 'batchSize'>;
}

/** The notifications service: an email for every step, each sent once over SMTP. */
export const notificationsService = defineService({
  name: 'notifications',
  configSchema: notificationsConfigSchema,
  needs: { database: postgres<NotificationsDatabase>(migrations), events: {} },
  build: async ({ config, db, logger, readiness }, parts: Partial<NotificationsParts>) => {
    const app = await buildApp({ logger, readiness });
    const from = config.EMAIL_FROM;
    const transport = parts.transport ?? smtpTransport(config.SMTP_URL, from);
    const sender = new EmailSender({
      db,
      transport,
      metrics: emailMetrics(app.metrics, db),
      logger,
      retryMaxMs: config.EMAIL_RETRY_MAX_MS,
      ...parts.sender,
    });
    sender.start();
    logger.info({ smtp: redactedUrl(config.SMTP_URL) }, 'sending emails over SMTP');
    // The schema checked that EMAIL_FROM holds an address.
    const messageIdDomain = addressOf(from)!.split('@')[1]!;
    return {
      app,
      subscriptions: notificationsSubscriptions({
        site: { publicUrl: config.PUBLIC_URL },
        messageIdDomain,
        holdEmailDelayMs: config.HOLD_EMAIL_DELAY_MS,
        emailTokenKey: config.EMAIL_TOKEN_KEY,
      }),
      alsoStop: [
        ['email sender', () => sender.stop()],
        ['smtp', async () => transport.close()],
      ],
    };
  },
});

/** SMTP_URL without its password, for the log. */
function redactedUrl(value: string): string {
  const url = new URL(value);
  if (url.password) url.password = '***';
  return url.toString();
}
