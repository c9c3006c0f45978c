import { connectDatabase, migrateDatabase, SchemaBehindError } from '@gittix/common';
import { testInfra, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations as ticketsMigrations } from '../../services/tickets/src/db/migrations.js';
import {
  type DatabaseRole,
  dropRoles,
  newRolePassword,
  ownerDatabaseUrl,
  ownerRoleOf,
  provisionDatabase,
  roleDatabaseUrl,
} from '../system/provision.js';

const server = testInfra.postgresUrl;
const prefix = uniqueName('prov');
const rolesOf = (name: string): DatabaseRole => ({
  database: name,
  role: name,
  password: newRolePassword(),
  owner: ownerRoleOf(name),
  ownerPassword: newRolePassword(),
});
const tickets = rolesOf(`${prefix}_tickets`);
const orders = rolesOf(`${prefix}_orders`);

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const asRole = (target: DatabaseRole, database = target.database) =>
  roleDatabaseUrl(server, { ...target, database });
const asOwner = (target: DatabaseRole) => ownerDatabaseUrl(server, target);
const asAdmin = (database: string) => `${server}/${database}`;

/** Every column of the public schema and who owns its table: what a migration would change. */
const schemaOf = (target: DatabaseRole) =>
  query(
    asAdmin(target.database),
    `SELECT c.table_name, c.column_name, c.data_type, t.tableowner
       FROM information_schema.columns c JOIN pg_tables t
         ON t.schemaname = c.table_schema AND t.tablename = c.table_name
      WHERE c.table_schema = 'public' ORDER BY 1, 2`,
  );

describe('Postgres least privilege: per database an owner that migrates and a runtime role that may not', () => {
  beforeAll(async () => {
    await provisionDatabase(server, orders);
    // An install from before: the superuser made tickets' database, and the service's
    // role (which owned everything in the last release) made a table of its own.
    await query(asAdmin('postgres'), `CREATE DATABASE "${tickets.database}"`);
    await query(asAdmin('postgres'), `CREATE ROLE "${tickets.role}" LOGIN`);
    await query(
      asAdmin(tickets.database),
      `CREATE TABLE legacy (id int); INSERT INTO legacy VALUES (1);
       CREATE TABLE legacy_of_role (id int); ALTER TABLE legacy_of_role OWNER TO "${tickets.role}"`,
    );
    await provisionDatabase(server, tickets);
  });
  afterAll(async () => {
    for (const { database } of [tickets, orders]) {
      await query(asAdmin('postgres'), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
    await dropRoles(server, prefix);
  });

  it('when the runtime role starts a service before the migrate step, then it refuses, naming the first missing migration', async () => {
    const refused = connectDatabase(asRole(tickets), ticketsMigrations, { max: 1 });
    await expect(refused).rejects.toBeInstanceOf(SchemaBehindError);
    await expect(refused).rejects.toThrow(
      `database "${tickets.database}" is behind this release: migration 0000_event_tables`,
    );
  });

  it('when a service starts where its database was never made, then it refuses saying so, and creates nothing', async () => {
    const missing = `${prefix}_never`;
    await expect(connectDatabase(asAdmin(missing), ticketsMigrations, { max: 1 })).rejects.toThrow(
      `database "${missing}" does not exist. Run the migrate step first`,
    );
    expect(
      await query(asAdmin('postgres'), `SELECT 1 FROM pg_database WHERE datname = '${missing}'`),
    ).toEqual([]);
  });

  it('when the migrate step runs as the owner, then every table is the owner’s and the runtime role reads and writes them (an extension included)', async () => {
    const report = await migrateDatabase(asOwner(tickets), ticketsMigrations);
    expect(report.applied).toEqual(Object.keys(ticketsMigrations).sort());
    const owners = await query(
      asAdmin(tickets.database),
      "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(owners).toEqual([{ tableowner: tickets.owner }]);

    const db = await connectDatabase(asRole(tickets), ticketsMigrations, { max: 1 });
    await db.destroy();
    const runtime = asRole(tickets);
    await query(runtime, "INSERT INTO inbox (consumer, event_id) VALUES ('c', gen_random_uuid())");
    await query(runtime, "UPDATE inbox SET consumer = 'd' WHERE consumer = 'c'");
    expect(await query(runtime, "DELETE FROM inbox WHERE consumer = 'd' RETURNING 1")).toHaveLength(
      1,
    );
    await query(runtime, "SELECT nextval(pg_get_serial_sequence('outbox', 'seq'))");
    expect(await query(runtime, "SELECT similarity('abc', 'abd') > 0 AS ok")).toEqual([
      { ok: true },
    ]);
  });

  it('when the migrate step runs again, then it runs nothing and the schema is unchanged', async () => {
    await migrateDatabase(asOwner(tickets), ticketsMigrations);
    const before = await schemaOf(tickets);
    const again = await migrateDatabase(asOwner(tickets), ticketsMigrations);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(Object.keys(ticketsMigrations).length);
    expect(await schemaOf(tickets)).toEqual(before);
  });

  it('when a new release starts on the previous release’s schema, then it refuses naming only the migration the release added', async () => {
    const names = Object.keys(ticketsMigrations).sort();
    const newest = names.at(-1)!;
    const previous = Object.fromEntries(
      Object.entries(ticketsMigrations).filter(([name]) => name !== newest),
    );
    await migrateDatabase(asOwner(orders), previous);
    await expect(connectDatabase(asRole(orders), ticketsMigrations, { max: 1 })).rejects.toThrow(
      `database "${orders.database}" is behind this release: migration ${newest} has not run.`,
    );
    // The previous release itself still starts on it.
    const db = await connectDatabase(asRole(orders), previous, { max: 1 });
    await db.destroy();
  });

  it('when the runtime role tries to change the schema, then Postgres refuses every kind of DDL', async () => {
    const runtime = asRole(tickets);
    const refusals = [
      'CREATE TABLE intruder (id int)',
      'CREATE TABLE public.intruder (id int)',
      'CREATE TEMP TABLE intruder (id int)',
      'CREATE SCHEMA intruder',
      'DROP TABLE legacy',
      'DROP TABLE inbox',
      'ALTER TABLE inbox ADD COLUMN intruder int',
      'CREATE INDEX intruder ON inbox (consumer)',
      'TRUNCATE inbox',
      'CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
    ];
    for (const statement of refusals) {
      await expect(query(runtime, statement), statement).rejects.toThrow(
        /permission denied|must be owner/,
      );
    }
    const tables = await query(
      asAdmin(tickets.database),
      "SELECT tablename FROM pg_tables WHERE tablename = 'intruder'",
    );
    expect(tables).toEqual([]);
  });

  it('when the database was made before (by the superuser, or owned by the service’s role), then its tables become the owner’s and stay readable', async () => {
    const owners = await query(
      asAdmin(tickets.database),
      "SELECT tablename, tableowner FROM pg_tables WHERE tablename LIKE 'legacy%' ORDER BY 1",
    );
    expect(owners).toEqual([
      { tablename: 'legacy', tableowner: tickets.owner },
      { tablename: 'legacy_of_role', tableowner: tickets.owner },
    ]);
    expect(await query(asRole(tickets), 'SELECT id FROM legacy')).toEqual([{ id: 1 }]);
    await expect(query(asRole(tickets), 'DROP TABLE legacy_of_role')).rejects.toThrow(
      /must be owner/,
    );
  });

  it('when either role tries to create a database or a role, then Postgres refuses', async () => {
    for (const url of [asRole(orders), asOwner(orders)]) {
      await expect(query(url, 'CREATE DATABASE nope')).rejects.toThrow(/permission denied/);
      await expect(query(url, 'CREATE ROLE nope')).rejects.toThrow(/permission denied/);
    }
  });

  it("when a runtime role tries to reach another service's database, then Postgres refuses the connection", async () => {
    await expect(query(asRole(orders, tickets.database), 'SELECT 1')).rejects.toThrow(
      /permission denied for database/,
    );
    await expect(query(asRole(orders, 'postgres'), 'SELECT 1')).resolves.toBeDefined();
    await expect(query(asRole(tickets, orders.database), 'SELECT 1')).rejects.toThrow(
      /permission denied for database/,
    );
    await expect(
      query(ownerDatabaseUrl(server, { ...orders, database: tickets.database }), 'SELECT 1'),
    ).rejects.toThrow(/permission denied for database/);
  });

  it('when provisioning runs again, then the owner keeps only its database, the runtime role owns nothing, and neither gains an attribute', async () => {
    await provisionDatabase(server, { ...orders, password: newRolePassword() });
    // (The test server trusts local connections, so the password itself is not checked here.)
    const attributes = await query(
      asAdmin('postgres'),
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
         FROM pg_roles WHERE rolname IN ('${orders.role}', '${orders.owner}')`,
    );
    expect(attributes.map((row) => Object.values(row))).toEqual([
      [false, false, false, false, false],
      [false, false, false, false, false],
    ]);
    const owned = await query(
      asAdmin('postgres'),
      `SELECT pg_get_userbyid(datdba) AS owner, datname FROM pg_database
        WHERE pg_get_userbyid(datdba) IN ('${orders.role}', '${orders.owner}')`,
    );
    expect(owned).toEqual([{ owner: orders.owner, datname: orders.database }]);
    await expect(query(asRole(orders), 'CREATE TABLE intruder (id int)')).rejects.toThrow(
      /permission denied/,
    );
  });
});
