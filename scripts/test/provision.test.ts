import { openDatabase } from '@gittix/common';
import { testInfra, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations as ticketsMigrations } from '../../services/tickets/src/db/migrations.js';
import {
  type DatabaseRole,
  dropRoles,
  newRolePassword,
  provisionDatabase,
  roleDatabaseUrl,
} from '../system/provision.js';

const server = testInfra.postgresUrl;
const prefix = uniqueName('prov');
const tickets: DatabaseRole = {
  database: `${prefix}_tickets`,
  role: `${prefix}_tickets`,
  password: newRolePassword(),
};
const orders: DatabaseRole = {
  database: `${prefix}_orders`,
  role: `${prefix}_orders`,
  password: newRolePassword(),
};

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
const asAdmin = (database: string) => `${server}/${database}`;

describe('Postgres least privilege: a role per service, owning only its database', () => {
  beforeAll(async () => {
    await provisionDatabase(server, orders);
    // An install from before: the superuser made and migrated tickets' database.
    await query(asAdmin('postgres'), `CREATE DATABASE "${tickets.database}"`);
    await query(
      asAdmin(tickets.database),
      'CREATE TABLE legacy (id int); INSERT INTO legacy VALUES (1)',
    );
    await provisionDatabase(server, tickets);
  });
  afterAll(async () => {
    for (const { database } of [tickets, orders]) {
      await query(asAdmin('postgres'), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
    await dropRoles(server, prefix);
  });

  it('when a service starts as its role, then it migrates and uses its own database (an extension included)', async () => {
    const db = await openDatabase(asRole(tickets), ticketsMigrations, { max: 1 });
    await db.destroy();
    const owners = await query(
      asAdmin(tickets.database),
      "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(owners).toEqual([{ tableowner: tickets.role }]);
  });

  it('when the database was made by the superuser before, then its tables become the role’s', async () => {
    expect(await query(asRole(tickets), 'SELECT id FROM legacy')).toEqual([{ id: 1 }]);
  });

  it('when a runtime role tries to create a database or a role, then Postgres refuses', async () => {
    await expect(query(asRole(orders), 'CREATE DATABASE nope')).rejects.toThrow(
      /permission denied/,
    );
    await expect(query(asRole(orders), 'CREATE ROLE nope')).rejects.toThrow(/permission denied/);
  });

  it("when a runtime role tries to reach another service's database, then Postgres refuses the connection", async () => {
    await expect(query(asRole(orders, tickets.database), 'SELECT 1')).rejects.toThrow(
      /permission denied for database/,
    );
    await expect(query(asRole(orders, 'postgres'), 'SELECT 1')).resolves.toBeDefined();
    await expect(query(asRole(tickets, orders.database), 'SELECT 1')).rejects.toThrow(
      /permission denied for database/,
    );
  });

  it('when provisioning runs again, then the role keeps only its database and no new attribute', async () => {
    await provisionDatabase(server, { ...orders, password: newRolePassword() });
    // (The test server trusts local connections, so the password itself is not checked here.)
    const [attributes] = await query(
      asAdmin('postgres'),
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
         FROM pg_roles WHERE rolname = '${orders.role}'`,
    );
    expect(Object.values(attributes!)).toEqual([false, false, false, false, false]);
    const owned = await query(
      asAdmin('postgres'),
      `SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = '${orders.role}'`,
    );
    expect(owned).toEqual([{ datname: orders.database }]);
    await expect(query(asRole(orders), 'CREATE DATABASE nope')).rejects.toThrow(
      /permission denied/,
    );
  });
});
