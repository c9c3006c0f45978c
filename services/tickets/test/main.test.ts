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

/** Lists a ticket through the process at `url` and waits for its ticket.created in the stream. */
async function listAndSeeRelayed(environment: TestEnvironment, url: string): Promise<void> {
  const seller = await environment.signIn();
  const listed = await fetch(`${url}/api/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...seller.cookie },
    body: JSON.stringify({ title: 'From main.ts', price: 12 }),
  });
  expect(listed.status).toBe(201);
  const { id } = (await listed.json()) as { id: string };
  await waitFor(
    async () => (await environment.publishedEvents('ticket.created')).some((e) => e.data.id === id),
    { message: 'ticket.created relayed' },
  );
}

/** The durable consumers on the environment's stream. */
async function consumersOf(environment: TestEnvironment): Promise<string[]> {
  const bus = await environment.bus();
  const names: string[] = [];
  for await (const info of bus.jsm.consumers.list(bus.stream)) names.push(info.name);
  return names;
}

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
      await listAndSeeRelayed(environment, tickets.url);

      expect(await consumersOf(environment)).toContain('tickets_order_created');

      tickets.child.kill('SIGTERM');
      expect(await tickets.exited).toBe(0);
      expect(tickets.output()).toContain('tickets stopped');
    } finally {
      tickets.child.kill('SIGKILL');
    }
    // Two processes from source (the migrate step, then the service) on a busy machine.
  }, 90_000);

  it('when started with CONSUME_EVENTS=false, then it serves and relays its outbox but consumes nothing', async () => {
    const apiOnly = await createTestEnvironment();
    try {
      expect((await runMigrateProcess(serviceDir, apiOnly.configFor(ticketsService))).code).toBe(0);
      const tickets = await startServiceProcess(serviceDir, {
        ...apiOnly.configFor(ticketsService),
        CONSUME_EVENTS: 'false',
      });
      try {
        await tickets.ready();
        await listAndSeeRelayed(apiOnly, tickets.url);
        // Ready means its consumers would have been made by now (they are before it listens).
        expect(await consumersOf(apiOnly)).toEqual([]);
      } finally {
        tickets.child.kill('SIGKILL');
      }
    } finally {
      await apiOnly.close();
    }
  }, 90_000);
});
