import nodemailer from 'nodemailer';

/** One email as the SMTP server receives it. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/** How the sender hands emails over: SMTP in production, anything in a test. */
export interface MailTransport {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** A host on this machine: nothing between us and it to read or strip the session. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * nodemailer's options for `SMTP_URL`, with a small pool of connections. Timeouts
 * are far below nodemailer's defaults (minutes), so an unresponsive server fails a
 * try quickly and the email is retried rather than holding the sender.
 *
 * Credentials over `smtp://` to another host require STARTTLS (`requireTLS`):
 * nodemailer otherwise upgrades only when the server offers it, so anyone on the path
 * could strip the offer and read the password and every email's links (reset tokens)
 * in clear text. A server without STARTTLS then fails every try, logged, until the URL
 * says `smtps://` or names a server that has it.
 */
export function smtpTransportOptions(smtpUrl: string) {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const credentials = url.username !== '';
  return {
    host: url.hostname,
    // Without a port nodemailer picks the protocol's own (587, or 465 for smtps).
    ...(url.port ? { port: Number(url.port) } : {}),
    secure,
    requireTLS: !secure && credentials && !isLoopback(url.hostname),
    ...(credentials
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    pool: true as const,
    maxConnections: 3,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
}

/** nodemailer over `SMTP_URL` (smtpTransportOptions). */
export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpTransportOptions(smtpUrl));
  return {
    async send(email) {
      await transporter.sendMail({ from, ...email });
    },
    close: () => transporter.close(),
  };
}

/**
 * True when the server refused this recipient or this message for good (a 5xx to
 * RCPT TO or DATA): trying again cannot help. Anything else (no connection, a
 * timeout, 4xx "try later", refused credentials or sender) is the server's or our
 * configuration's state, not the email's, and is retried until it passes.
 */
export function isPermanentRejection(error: unknown): boolean {
  const { code, responseCode, command } = error as {
    code?: string;
    responseCode?: number;
    command?: string;
  };
  if (code === 'EENVELOPE' && command === 'API') return true;
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    (command === 'RCPT TO' || command === 'DATA')
  );
}
