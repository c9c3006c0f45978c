import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** One service's database and the role it runs as (which owns that database, and nothing else). */
export interface DatabaseRole {
  database: string;
  role: string;
  password: string;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `postgres://user:pw@host:port` (a server URL) with another database. */
function urlWithDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The URL a service connects with: its own role, its own database. */
export function roleDatabaseUrl(serverUrl: string, { database, role, password }: DatabaseRole) {
  const url = new URL(urlWithDatabase(serverUrl, database));
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * The privileged step (docs/security.md, "Postgres"), run with a superuser's
 * `serverUrl` before the services start: makes `role` (LOGIN, and nothing else:
 * no CREATEDB, CREATEROLE, SUPERUSER, REPLICATION or BYPASSRLS) with `password`,
 * makes `database` owned by it, lets nobody else connect to that database, and
 * hands the role every object of its `public` schema (an upgrade from a
 * release whose service ran as the superuser). Safe to run again: a later run
 * only resets the password and the grants. infra/k8s/single-node-data/postgres-provision.sh does the
 * same with psql for Compose and Kubernetes.
 */
export async function provisionDatabase(serverUrl: string, target: DatabaseRole): Promise<void> {
  const { database, role, password } = target;
  await withClient(urlWithDatabase(serverUrl, 'postgres'), async (client) => {
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${client.escapeLiteral(password)}`;
    const roleFound = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    await client.query(
      roleFound.rowCount
        ? `ALTER ROLE ${ident(role)} ${attributes}`
        : `CREATE ROLE ${ident(role)} ${attributes}`,
    );
    const dbFound = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    await client.query(
      dbFound.rowCount
        ? `ALTER DATABASE ${ident(database)} OWNER TO ${ident(role)}`
        : `CREATE DATABASE ${ident(database)} OWNER ${ident(role)}`,
    );
    await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
    await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(role)}`);
  });
  await withClient(urlWithDatabase(serverUrl, database), async (client) => {
    await client.query(`ALTER SCHEMA public OWNER TO ${ident(role)}`);
    await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    // Objects a superuser made (an older release migrated as postgres) become the role's.
    const { rows } = await client.query<{ statement: string }>(
      `SELECT format('ALTER %s %I.%I OWNER TO %I',
                CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                               WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                n.nspname, c.relname, $1::text) AS statement
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_get_userbyid(c.relowner) <> $1
          AND NOT (c.relkind = 'S' AND EXISTS (
                SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
       UNION ALL
       SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, $1::text)
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c')
          AND pg_get_userbyid(t.typowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')`,
      [role],
    );
    for (const { statement } of rows) await client.query(statement);
  });
}

/** A fresh password for a role: URL-safe, so it fits in DATABASE_URL as it is. */
export function newRolePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Drops roles whose name starts with `prefix` (tests: after their databases are gone). */
export async function dropRoles(serverUrl: string, prefix: string): Promise<void> {
  await withClient(urlWithDatabase(serverUrl, 'postgres'), async (client) => {
    const { rows } = await client.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)',
      [prefix],
    );
    for (const { rolname } of rows) {
      await client.query(`DROP ROLE IF EXISTS ${ident(rolname)}`).catch(() => {});
    }
  });
}
