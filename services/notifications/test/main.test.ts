import { randomUUID } from 'node:crypto';
import {
  createTestEnvironment,
  runMigrateProcess,
  startServiceProcess,
  type TestEnvironment,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationsService } from '../src/service.js';
import { userData } from './fixtures.js';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-server.js';

const serviceDir = new URL('..', import.meta.url);

describe('notifications as a process (main.ts)', () => {
  let environment: TestEnvironment;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    smtp = await startTestSmtpServer();
  });
  afterAll(async () => {
    await smtp?.stop();
    await environment?.close();
  });

  it('when migrated by its --migrate step and started, then it emails what events ask for, and stops cleanly on SIGTERM', async () => {
    const migrated = await runMigrateProcess(
      serviceDir,
      environment.configFor(notificationsService),
    );
    expect(migrated.output).toMatch(/ran \d+ migration/);
    expect(migrated.code).toBe(0);
    const notifications = await startServiceProcess(serviceDir, {
      ...environment.configFor(notificationsService),
      SMTP_URL: smtp.url,
    });
    try {
      await notifications.ready();
      const user = userData();
      await environment.publish('user.created', user);
      await environment.publish('payout.paid', { id: randomUUID(), userId: user.id, amount: 9 });
      await waitFor(() => smtp.to(user.email).length === 1, {
        timeoutMs: 15_000,
        message: 'the payout email',
      });
      const metrics = await (await fetch(`${notifications.url}/metrics`)).text();
      expect(metrics).toMatch(/gittix_emails_sent_total\{[^}]*kind="payout"[^}]*\} 1/);

      notifications.child.kill('SIGTERM');
      expect(await notifications.exited).toBe(0);
      expect(notifications.output()).toContain('notifications stopped');
    } finally {
      notifications.child.kill('SIGKILL');
    }
    // Two processes from source (the migrate step, then the service) on a busy machine.
  }, 90_000);
});
