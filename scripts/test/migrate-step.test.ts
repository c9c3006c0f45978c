import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '../system/children.js';
import { migrateService, spawnService } from '../system/launch.js';
import { dropRoles } from '../system/provision.js';
import { type SystemSettings, services } from '../system/services.js';
import { isolatedSettings } from '../system/system.js';

const tickets = services.find((s) => s.name === 'tickets')!;

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('the migrate step is an entry point of its own (main --migrate), and a service never migrates', () => {
  const name = uniqueName('migr');
  const logDir = join('test-output', 'logs', testRunId(), name);
  let settings: SystemSettings;
  const adminUrl = () => `${testInfra.postgresUrl}/${settings.databaseName('tickets')}`;

  beforeAll(async () => {
    mkdirSync(logDir, { recursive: true });
    settings = await isolatedSettings({ infra: testInfra, name, databaseRoles: true });
  });
  afterAll(async () => {
    for (const { database } of services) {
      if (!database) continue;
      await query(
        `${testInfra.postgresUrl}/postgres`,
        `DROP DATABASE IF EXISTS "${settings.databaseName(database)}" WITH (FORCE)`,
      );
    }
    await dropRoles(testInfra.postgresUrl, name);
  });

  it('when a service starts before the migrate step, then it exits at once naming the migration that has not run, and creates nothing', async () => {
    const child = spawnService(tickets, settings, { mode: 'source', output: { logDir } });
    await exitOf(child);
    expect(child.exitCode).toBe(1);
    const log = readFileSync(join(logDir, 'tickets.log'), 'utf8');
    expect(log).toContain(
      `tickets: database "${settings.databaseName('tickets')}" is behind this release: migration 0000_event_tables`,
    );
    expect(log).toContain('Run the migrate step first');
    expect(
      await query(adminUrl(), "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"),
    ).toEqual([]);
  });

  it('when the migrate step runs twice as the owner, then the first migrates, the second runs nothing, and the tables stay the owner’s', async () => {
    await migrateService(tickets, settings, { mode: 'source', logDir });
    const tables = await query(
      adminUrl(),
      "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.length).toBeGreaterThan(3);
    expect(new Set(tables.map((t) => t.tableowner))).toEqual(
      new Set([settings.databaseRoles!.tickets!.owner]),
    );

    await migrateService(tickets, settings, { mode: 'source', logDir });
    const log = readFileSync(join(logDir, 'tickets.migrate.log'), 'utf8');
    expect(log).toMatch(/tickets: ran \d+ migration\(s\): 0000_event_tables, /);
    expect(log).toMatch(/tickets: the database is up to date \(\d+ migrations\), nothing to run/);
    expect(
      await query(
        adminUrl(),
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      ),
    ).toEqual(tables);
  });

  it('when the migrate step is given the runtime role instead of the owner, then it fails naming the refused privilege', async () => {
    const orders = services.find((s) => s.name === 'orders')!;
    const roles = settings.databaseRoles!.orders!;
    const asRuntime: SystemSettings = {
      ...settings,
      databaseRoles: {
        ...settings.databaseRoles,
        orders: { ...roles, owner: roles.role, ownerPassword: roles.password },
      },
    };
    await expect(migrateService(orders, asRuntime, { mode: 'source', logDir })).rejects.toThrow(
      /orders --migrate exited 1:[\s\S]*permission denied for schema public/,
    );
  });
});
