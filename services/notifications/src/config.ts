import { baseConfigSchema, env, natsConfigSchema } from '@gittix/common';
import { z } from 'zod';

const MAILBOX = /^\s*(?:(?<name>[^<>]*?)\s*<(?<bracketed>[^<>\s]+)>|(?<bare>[^<>\s]+))\s*$/;

/** `GitTix <no-reply@example.com>` or a bare address, as the From of every email. */
const mailbox = z.string().transform((value, context) => {
  const match = MAILBOX.exec(value);
  const address = match?.groups?.bracketed ?? match?.groups?.bare ?? '';
  if (!z.email().safeParse(address).success) {
    context.addIssue({ code: 'custom', message: 'Must be an address or "Name <address>"' });
    return z.NEVER;
  }
  return { name: match?.groups?.name?.replace(/^"|"$/g, '') ?? '', address };
});

/** The notifications service's environment: every key has a local default (the mail catcher). */
export const notificationsConfigSchema = baseConfigSchema.extend({
  ...natsConfigSchema.shape,
  PORT: env.port(3006),
  DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/notifications'),
  /** Where emails go: `smtp://` (STARTTLS when offered) or `smtps://`, credentials in the URL. */
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, message: 'Must be an smtp:// or smtps:// URL' })
    .default('smtp://127.0.0.1:1025'),
  EMAIL_FROM: mailbox.default({ name: 'GitTix', address: 'no-reply@gittix.local' }),
  /** The site as people reach it: every link in an email starts with it. */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: 'Must be an http(s) URL' })
    .default('http://localhost:3000')
    .transform((url) => url.replace(/\/+$/, '')),
  /** Longest wait between two tries of an email while the SMTP server refuses or is down. */
  EMAIL_RETRY_MAX_MS: env.positiveInt(300_000),
});

export type NotificationsConfig = z.output<typeof notificationsConfigSchema>;
