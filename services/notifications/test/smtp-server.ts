import { freePort } from '@gittix/common/testing';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One email as the test server received it. */
export interface ReceivedEmail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedEmail[];
  /** Emails to `address`, oldest first. */
  to(address: string): ReceivedEmail[];
  /** Refuses recipients matching `pattern` with a 550 from now on. */
  rejectRecipients(pattern: RegExp): void;
  /** Stops listening and drops open connections, as a server that went down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * An SMTP server of the test's own (nodemailer's smtp-server) on a spare port: it
 * parses what it accepts (mailparser), can refuse recipients, and can be stopped
 * and started again to play an outage.
 */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const port = await freePort();
  const received: ReceivedEmail[] = [];
  let rejected: RegExp | undefined;
  let server: SMTPServer | undefined;

  const listen = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 50,
      onRcptTo(address, _session, callback) {
        if (rejected?.test(address.address)) {
          const error = Object.assign(new Error('No such mailbox'), { responseCode: 550 });
          return callback(error);
        }
        callback();
      },
      onData(stream, _session, callback) {
        simpleParser(stream).then(
          (mail) => {
            received.push({
              to: [mail.to ?? []].flat().flatMap((to) => to.value.map((v) => v.address ?? '')),
              from: mail.from?.value[0]?.address ?? '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              messageId: mail.messageId ?? '',
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve());
    });
  };
  await listen();

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to: (address) => received.filter((email) => email.to.includes(address)),
    rejectRecipients(pattern) {
      rejected = pattern;
    },
    async stop() {
      const running = server;
      server = undefined;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
    },
    start: listen,
  };
}
