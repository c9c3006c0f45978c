import {
  createTestEnvironment,
  runMigrateProcess,
  startServiceProcess,
  type TestEnvironment,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketsService } from '../src/service.js';

const serviceDir = new URL('..', import.meta.url);

describe('tickets as a process (main.ts)', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createTestEnvironment();
  });
  afterAll(() => environment?.close());

  it('when migrated by its --migrate step and started, then it serves, publishes through its outbox, and stops cleanly on SIGTERM', async () => {
    const migrated = await runMigrateProcess(serviceDir, environment.configFor(ticketsService));
    expect(migrated.output).toMatch(/ran \d+ migration/);
    expect(migrated.code).toBe(0);
    const tickets = await startServiceProcess(serviceDir, environment.configFor(ticketsService));
    try {
      await tickets.ready();
      const seller = await environment.signIn();
      const listed = await fetch(`${tickets.url}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...seller.cookie },
        body: JSON.stringify({ title: 'From main.ts', price: 12 }),
      });
      expect(listed.status).toBe(201);
      const { id } = (await listed.json()) as { id: string };
      await waitFor(
        async () =>
          (await environment.publishedEvents('ticket.created')).some((e) => e.data.id === id),
        { message: 'ticket.created relayed' },
      );

      tickets.child.kill('SIGTERM');
      expect(await tickets.exited).toBe(0);
      expect(tickets.output()).toContain('tickets stopped');
    } finally {
      tickets.child.kill('SIGKILL');
    }
    // Two processes from source (the migrate step, then the service) on a busy machine.
  }, 90_000);
});
