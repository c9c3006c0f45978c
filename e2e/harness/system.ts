import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NATS_ADMIN_USER,
  type NatsUser,
  natsUser,
  natsUsersWithRandomPasswords,
} from '@gittix/common';
import {
  type PrivateNatsServer,
  startPrivateNatsServer,
  testInfra,
  testRunId,
  uniqueName,
  waitFor,
} from '@gittix/common/testing';
import { ensureWebBuild } from '../../scripts/system/build.js';
import { type CaughtEmail, caughtEmails, mailCatcher } from '../../scripts/system/mail-catcher.js';
import { freePort } from '../../scripts/system/network.js';
import { services } from '../../scripts/system/services.js';
import {
  isolatedSettings,
  type RunningSystem as LaunchedSystem,
  startSystem as launch,
} from '../../scripts/system/system.js';

/** The system's own mail catcher (MailDev), as tests read it. */
export interface SystemMail {
  smtpUrl: string;
  inboxUrl: string;
  /** Every email caught so far (MailDev's `GET /api/email`), oldest first. */
  emails(): Promise<CaughtEmail[]>;
  /** Waits for an email to `to` whose subject matches, and returns it. */
  waitFor(to: string, subject: RegExp, timeoutMs?: number): Promise<CaughtEmail>;
  /** Stops the catcher (an SMTP outage); start() brings it back with what it caught. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** The launcher's running system, its logs always in files, with a mail catcher of its own. */
export type RunningSystem = LaunchedSystem & { logDir: string; mail: SystemMail };

export interface StartSystemOptions {
  orderExpirationSeconds?: number;
  /** Leave out the web app (API-only tests start faster). */
  web?: boolean;
  extraEnv?: Record<string, string>;
  /**
   * NATS of the system's own with a user per service and its permissions
   * (docs/security.md), as Compose and Kubernetes run it; connect as `natsAdmin`.
   */
  natsAuth?: boolean;
  /** Each service connects to Postgres as its own runtime role (rows of its database only); the migrate step as the owner. */
  databaseRoles?: boolean;
  /**
   * How long the services may take to get ready (default 240 s: at load average 20+
   * on two cores, 90 s was not always enough; e2e hooks get 600 s).
   */
  readyTimeoutMs?: number;
}

/** The admin's credentials for an EventBus of the test's own (none without natsAuth). */
export function natsAdmin(settings: { natsUsers?: NatsUser[] | undefined }): {
  user?: string;
  password?: string;
} {
  if (!settings.natsUsers) return {};
  const { user, password } = natsUser(settings.natsUsers, NATS_ADMIN_USER);
  return { user, password };
}

/** The mail catcher at `inboxUrl` as tests read it; `outage` stops and starts it. */
export function systemMail(
  inboxUrl: string,
  smtpUrl: string,
  outage: Pick<SystemMail, 'stop' | 'start'>,
): SystemMail {
  const emails = () => caughtEmails(inboxUrl);
  return {
    smtpUrl,
    inboxUrl,
    emails,
    waitFor: (to, subject, timeoutMs = 20_000) =>
      waitFor(
        async () =>
          (await emails()).find(
            (email) => email.to.some((r) => r.address === to) && subject.test(email.subject),
          ),
        { timeoutMs, message: `an email to ${to} with a subject like ${subject}` },
      ),
    ...outage,
  };
}

/** Two spare ports that differ (neither is listened on until the catcher starts). */
async function twoPorts(): Promise<[number, number]> {
  const smtp = await freePort();
  let web = await freePort();
  while (web === smtp) web = await freePort();
  return [smtp, web];
}

/**
 * The whole of GitTix as real processes from the TypeScript sources, on spare
 * ports and with databases, stream, subjects and queues of its own
 * (`gx_<run>_sys_…`), so end-to-end tests neither see nor disturb anything else.
 * Its notifications send to a MailDev of its own, which `mail` reads.
 * Service logs: test-output/logs/<run>/<name>/.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<RunningSystem> {
  const web = options.web !== false;
  if (web) ensureWebBuild(() => {});
  const name = uniqueName('sys');
  const logDir = join('test-output', 'logs', testRunId(), name);
  const [smtpPort, webPort] = await twoPorts();
  const mailDir = await mkdtemp(join(tmpdir(), 'gittix-mail-'));
  await mkdir(logDir, { recursive: true });
  const catcher = mailCatcher({
    host: '127.0.0.1',
    port: smtpPort,
    webPort,
    dir: mailDir,
    logFile: join(logDir, 'maildev.log'),
  });
  // MailDev takes seconds to start: alongside the services, which only queue email meanwhile.
  const catcherStarted = catcher.start();
  catcherStarted.catch(() => {}); // awaited below, once the services are up
  let nats: PrivateNatsServer | undefined;
  const dropCatcher = async () => {
    await catcher.stop();
    await rm(mailDir, { recursive: true, force: true });
    await nats?.destroy();
  };
  let system: LaunchedSystem;
  try {
    if (options.natsAuth) {
      const names = { stream: name.toUpperCase(), subjectPrefix: name };
      nats = await startPrivateNatsServer({ users: natsUsersWithRandomPasswords(names) });
    }
    system = await launch({
      mode: 'dist',
      only: services.map((s) => s.name).filter((s) => web || s !== 'web'),
      logDir,
      readyTimeoutMs: options.readyTimeoutMs ?? 240_000,
      settings: await isolatedSettings({
        infra: nats ? { ...testInfra, natsUrl: nats.url } : testInfra,
        ...(nats ? { natsUsers: nats.users } : {}),
        ...(options.databaseRoles ? { databaseRoles: true } : {}),
        name,
        logLevel: process.env.TEST_SYSTEM_LOG_LEVEL ?? 'info',
        orderExpirationSeconds: options.orderExpirationSeconds,
        smtpUrl: catcher.smtpUrl,
        extraEnv: options.extraEnv,
      }),
    });
    await catcherStarted;
  } catch (error) {
    await catcherStarted.catch(() => {});
    await dropCatcher();
    throw error;
  }
  const mail = systemMail(catcher.inboxUrl, catcher.smtpUrl, {
    stop: () => catcher.stop(),
    start: () => catcher.start(),
  });
  const stopServices = system.stop;
  return Object.assign(system, {
    logDir,
    mail,
    async stop() {
      await stopServices();
      await dropCatcher();
    },
  });
}
