import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * One service's database and its two roles: `owner` owns the database and every
 * object in it and runs the migrations (the migrate step); `role` is what the
 * service runs as, with DML on its tables and no DDL. Neither may do more.
 */
export interface DatabaseRole {
  database: string;
  /** The runtime role: SELECT, INSERT, UPDATE, DELETE; may not create or drop. */
  role: string;
  password: string;
  /** The owner, for the migrate step only. */
  owner: string;
  ownerPassword: string;
}

/** The owner's name for a database's runtime role `role`. */
export const ownerRoleOf = (role: string) => `${role}_owner`;

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

function urlAs(serverUrl: string, database: string, user: string, password: string): string {
  const url = new URL(urlWithDatabase(serverUrl, database));
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** The URL a service connects with: its runtime role, its own database. */
export function roleDatabaseUrl(serverUrl: string, { database, role, password }: DatabaseRole) {
  return urlAs(serverUrl, database, role, password);
}

/** The URL of the migrate step: the database's owner. */
export function ownerDatabaseUrl(serverUrl: string, target: DatabaseRole) {
  return urlAs(serverUrl, target.database, target.owner, target.ownerPassword);
}

/** The attributes of both roles: log in, and nothing else. */
const LOGIN_ONLY = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT';

/**
 * The privileged step (docs/security.md, "Postgres"), run with a superuser's
 * `serverUrl` before the migrate step and the services: makes the roles `owner`
 * and `role` (LOGIN, and nothing else: no CREATEDB, CREATEROLE, SUPERUSER,
 * REPLICATION or BYPASSRLS) with their passwords; makes `database` owned by
 * `owner`, with every object of its `public` schema (an upgrade from a release
 * whose service owned them, or ran as the superuser); lets `role` connect and use
 * the schema but not create in it, and read and write the tables the owner has
 * made and will make (default privileges); lets nobody else connect. Safe to run
 * again: a later run only resets the passwords and the grants.
 * infra/k8s/single-node-data/postgres-provision.sh does the same with psql for Compose and
 * Kubernetes.
 */
export async function provisionDatabase(serverUrl: string, target: DatabaseRole): Promise<void> {
  const { database, role, password, owner, ownerPassword } = target;
  await withClient(urlWithDatabase(serverUrl, 'postgres'), async (client) => {
    for (const [name, secret] of [
      [owner, ownerPassword],
      [role, password],
    ] as const) {
      const attributes = `${LOGIN_ONLY} PASSWORD ${client.escapeLiteral(secret)}`;
      const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      await client.query(
        found.rowCount
          ? `ALTER ROLE ${ident(name)} ${attributes}`
          : `CREATE ROLE ${ident(name)} ${attributes}`,
      );
    }
    const dbFound = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    await client.query(
      dbFound.rowCount
        ? `ALTER DATABASE ${ident(database)} OWNER TO ${ident(owner)}`
        : `CREATE DATABASE ${ident(database)} OWNER ${ident(owner)}`,
    );
    await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC, ${ident(role)}`);
    await client.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(role)}`);
  });
  await withClient(urlWithDatabase(serverUrl, database), async (client) => {
    await client.query(`ALTER SCHEMA public OWNER TO ${ident(owner)}`);
    await client.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC, ${ident(role)}`);
    // Objects another role made (an older release migrated as the service's role or
    // as postgres) become the owner's: only the owner may alter or drop them.
    const { rows } = await client.query<{ statement: string }>(TAKE_OVER_OBJECTS, [owner]);
    for (const { statement } of rows) await client.query(statement);
    for (const statement of runtimeGrants(ident(owner), ident(role))) {
      await client.query(statement);
    }
  });
}

/**
 * ALTER … OWNER TO $1 for each table, view, sequence (not owned by a column), type
 * and function of the public schema that $1 does not own.
 */
const TAKE_OVER_OBJECTS = `
SELECT format('ALTER %s %I.%I OWNER TO %I',
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
   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $1::text)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`;

/**
 * What the runtime role may do in the owner's schema: use it (not create in it),
 * read and write rows of every table and use every sequence, those there now and
 * those the owner's migrations make later (default privileges). No TRUNCATE,
 * REFERENCES or TRIGGER, and nothing on the schema or database beyond CONNECT.
 */
function runtimeGrants(owner: string, role: string): string[] {
  return [
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${role}`,
  ];
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
