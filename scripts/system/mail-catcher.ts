import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portOpen } from './network.js';
import { childServer, EXIT_WITH_PARENT_ARGS, type Server, type ServerOptions } from './servers.js';

/** One email as MailDev's JSON API (`GET /api/email`) gives it; the fields GitTix reads. */
export interface CaughtEmail {
  id: string;
  subject: string;
  text: string;
  html: string;
  to: Array<{ address: string }>;
  headers: Record<string, string>;
}

/** MailDev: SMTP in, a web inbox and its JSON API out. */
export interface MailCatcher extends Server {
  /** Where services send: `smtp://host:port`. */
  smtpUrl: string;
  /** The web inbox; `GET <inboxUrl>/api/email` lists what arrived. */
  inboxUrl: string;
}

/** The `maildev` command of the installed package (a root devDependency). */
function maildevBin(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('maildev'))), 'bin', 'maildev.js');
}

/**
 * MailDev 3 from npm on `port` (SMTP) and `webPort` (inbox and API), keeping what it
 * caught in `dir`, so stop() and start() play an SMTP outage without losing mail.
 */
export function mailCatcher(options: ServerOptions & { webPort: number }): MailCatcher {
  const { host, port, webPort, dir } = options;
  // It stops when the process that started it dies: a test worker torn down mid-start
  // or a crashed launcher left MailDevs running after test runs before.
  const args = [...EXIT_WITH_PARENT_ARGS, maildevBin(), '--smtp', String(port)];
  args.push('--web', String(webPort));
  args.push('--ip', host, '--web-ip', host, '--mail-directory', dir, '--silent');
  const smtpUrl = `smtp://${host}:${port}`;
  // MailDev loads a web app and an API: on a busy machine that takes tens of seconds
  // (more than 90 s twice at load 25, with nine systems starting).
  const startTimeoutMs = options.startTimeoutMs ?? 240_000;
  const inboxUrl = `http://${host}:${webPort}`;
  const server = childServer(smtpUrl, process.execPath, args, {
    ...options,
    startTimeoutMs,
    exitWithParent: true,
    // Both ports in one wait: one deadline (not one per port), and a MailDev that
    // dies between opening SMTP and its inbox fails the start at once.
    startedWhen: {
      what: `MailDev (SMTP on ${host}:${port}, inbox on ${inboxUrl})`,
      probe: async () => (await portOpen(host, port, 500)) && portOpen(host, webPort, 500),
    },
  });
  return { ...server, smtpUrl, inboxUrl };
}

/** Every email the catcher at `inboxUrl` holds, oldest first. */
export async function caughtEmails(inboxUrl: string): Promise<CaughtEmail[]> {
  const response = await fetch(`${inboxUrl}/api/email`);
  if (!response.ok) throw new Error(`${inboxUrl}/api/email answered ${response.status}`);
  return (await response.json()) as CaughtEmail[];
}
