import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '../system/children.js';
import { migrateService, spawnService } from '../system/launch.js';
import {
  type DatabaseRole,
  dropRoles,
  newRolePassword,
  ownerRoleOf,
  roleDatabaseUrl,
} from '../system/provision.js';
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

// Each test runs services' migrate steps as processes from source: tens of seconds at load 20+.
describe('the migrate step is an entry point of its own (main --migrate), and a service never migrates', {
  timeout: 120_000,
}, () => {
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

describe('the migrate step grants the runtime role its rows (DATABASE_RUNTIME_ROLE), as prod needs without a superuser', {
  timeout: 120_000,
}, () => {
  const name = uniqueName('mgrt');
  const logDir = join('test-output', 'logs', testRunId(), name);
  const admin = (database: string) => `${testInfra.postgresUrl}/${database}`;
  // As CloudNativePG leaves it: both roles (LOGIN only), the database owned by the
  // owner, and no grant from anyone; worse, PUBLIC may create in the schema (as
  // before PostgreSQL 15, or a template that allowed it).
  const roles: DatabaseRole = {
    database: `${name}_tickets`,
    role: `${name}_tickets`,
    password: newRolePassword(),
    owner: ownerRoleOf(`${name}_tickets`),
    ownerPassword: newRolePassword(),
  };
  const stranger = `${name}_stranger`;
  const asRole = (role: string, password: string) =>
    roleDatabaseUrl(testInfra.postgresUrl, { ...roles, role, password });
  let settings: SystemSettings;

  beforeAll(async () => {
    mkdirSync(logDir, { recursive: true });
    for (const [role, password] of [
      [roles.owner, roles.ownerPassword],
      [roles.role, roles.password],
      [stranger, roles.password],
    ]) {
      await query(admin('postgres'), `CREATE ROLE "${role}" LOGIN PASSWORD '${password}'`);
    }
    await query(admin('postgres'), `CREATE DATABASE "${roles.database}" OWNER "${roles.owner}"`);
    await query(admin(roles.database), 'GRANT CREATE ON SCHEMA public TO PUBLIC');
    const base = await isolatedSettings({ infra: testInfra, name });
    settings = { ...base, databaseRoles: { tickets: roles } };
  });
  afterAll(async () => {
    await query(admin('postgres'), `DROP DATABASE IF EXISTS "${roles.database}" WITH (FORCE)`);
    await dropRoles(testInfra.postgresUrl, name);
  });

  it('when it has run as the owner on a database nobody granted anything in, then the runtime role reads and writes every table and changes no schema, and no other role gets in', async () => {
    const runtime = asRole(roles.role, roles.password);
    await migrateService(tickets, settings, { mode: 'source', logDir });
    await migrateService(tickets, settings, { mode: 'source', logDir });
    const log = readFileSync(join(logDir, 'tickets.migrate.log'), 'utf8');
    expect(log).toContain(`tickets: granted ${roles.role} the rows of every table, no DDL`);

    const tables = (
      await query(
        admin(roles.database),
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      )
    ).map((t) => t.tablename as string);
    expect(tables.length).toBeGreaterThan(3);
    for (const table of tables) {
      // Each statement is checked for its privilege even when it touches no row.
      for (const statement of [
        `SELECT count(*) FROM "${table}"`,
        `INSERT INTO "${table}" SELECT * FROM "${table}" WHERE false`,
        `UPDATE "${table}" SET ${await firstColumn(table)} = ${await firstColumn(table)} WHERE false`,
        `DELETE FROM "${table}" WHERE false`,
      ]) {
        await query(runtime, statement);
      }
      await expect(query(runtime, `TRUNCATE "${table}"`), table).rejects.toThrow(
        /permission denied/,
      );
    }
    const sequences = await query(
      admin(roles.database),
      `SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'
          AND NOT has_sequence_privilege('${roles.role}', format('%I', sequencename), 'USAGE, SELECT, UPDATE')`,
    );
    expect(sequences).toEqual([]);

    await expect(query(runtime, 'CREATE TABLE intruder (id int)')).rejects.toThrow(
      /permission denied for schema public/,
    );
    await expect(query(runtime, 'CREATE TEMP TABLE hidden (id int)')).rejects.toThrow(
      /permission denied to create temporary tables/,
    );
    await expect(query(runtime, 'DROP TABLE tickets')).rejects.toThrow(/must be owner/);
    await expect(query(asRole(stranger, roles.password), 'SELECT 1')).rejects.toThrow(
      /permission denied for database/,
    );
    // The owner still migrates (its privileges are its own).
    await query(asRole(roles.owner, roles.ownerPassword), 'CREATE TABLE later (id int)');
    await query(runtime, 'INSERT INTO later VALUES (1)');
  });

  it('when DATABASE_RUNTIME_ROLE is not a role name, or names the owner itself, then the migrate step refuses and grants nothing', async () => {
    const withRole = (role: string): SystemSettings => ({
      ...settings,
      databaseRoles: { tickets: { ...roles, role } },
    });
    await expect(
      migrateService(tickets, withRole('Robert"; DROP TABLE tickets; --'), {
        mode: 'source',
        logDir,
      }),
    ).rejects.toThrow(/tickets --migrate exited 1:[\s\S]*DATABASE_RUNTIME_ROLE/);
    await expect(
      migrateService(tickets, withRole(roles.owner), { mode: 'source', logDir }),
    ).rejects.toThrow(/must name the service's runtime role, not the owner/);
    // The owner kept every privilege on its database.
    await query(asRole(roles.owner, roles.ownerPassword), 'CREATE TABLE still_mine (id int)');
  });

  async function firstColumn(table: string): Promise<string> {
    const [row] = await query(
      admin(roles.database),
      `SELECT format('%I', column_name) AS name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position LIMIT 1`,
    );
    return row!.name as string;
  }
});
