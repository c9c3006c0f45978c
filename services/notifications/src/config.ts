import {
  baseConfigSchema,
  emailTokenKeyIssue,
  emailTokenKeySchema,
  env,
  migrateStepConfigSchema,
  natsConfigSchema,
  outboxListenConfigSchema,
} from '@gittix/common';
import { z } from 'zod';

const MAILBOX = /^\s*(?:[^<>]*?\s*<(?<bracketed>[^<>\s]+)>|(?<bare>[^<>\s]+))\s*$/;

/** The address of `GitTix <no-reply@example.com>` or of a bare address; undefined if neither. */
export function addressOf(mailbox: string): string | undefined {
  const match = MAILBOX.exec(mailbox);
  const address = match?.groups?.bracketed ?? match?.groups?.bare;
  return address && z.email().safeParse(address).success ? address : undefined;
}

/** The notifications service's environment: every key has a local default (the mail catcher). */
export const notificationsConfigSchema = baseConfigSchema
  .extend({
    ...natsConfigSchema.shape,
    ...outboxListenConfigSchema.shape,
    ...migrateStepConfigSchema.shape,
    PORT: env.port(3006),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/notifications'),
    /**
     * Where emails go: `smtp://` (STARTTLS when offered; required when the URL carries
     * credentials to another host) or `smtps://`, credentials in the URL.
     */
    SMTP_URL: z
      .url({ protocol: /^smtps?$/, message: 'Must be an smtp:// or smtps:// URL' })
      .default('smtp://127.0.0.1:1025'),
    /** The From of every email: `Name <address>` or an address; its domain ends every Message-ID. */
    EMAIL_FROM: z
      .string()
      .refine((value) => addressOf(value) !== undefined, {
        message: 'Must be an address or "Name <address>"',
      })
      .default('GitTix <no-reply@gittix.local>'),
    /** The site as people reach it: every link in an email starts with it. */
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, message: 'Must be an http(s) URL' })
      .default('http://localhost:3000')
      .transform((url) => url.replace(/\/+$/, '')),
    /** Longest wait between two tries of an email while the SMTP server refuses or is down. */
    EMAIL_RETRY_MAX_MS: env.positiveInt(300_000),
    /**
     * How long a hold email waits before it may go: a refused order (a ticket just sold or
     * withdrawn) is cancelled within a second or two, and its hold email is given up then.
     */
    HOLD_EMAIL_DELAY_MS: env.nonNegativeInt(5_000),
    /** Opens the tokens auth seals into verification and reset events: auth's EMAIL_TOKEN_KEY. */
    EMAIL_TOKEN_KEY: emailTokenKeySchema,
  })
  .superRefine((config, context) => {
    const keyIssue = emailTokenKeyIssue(config.EMAIL_TOKEN_KEY, config.NODE_ENV);
    if (keyIssue)
      context.addIssue({ code: 'custom', path: ['EMAIL_TOKEN_KEY'], message: keyIssue });
  });

export type NotificationsConfig = z.output<typeof notificationsConfigSchema>;
