import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, trace } from '@opentelemetry/api';
import {
  Kysely,
  type LogEvent,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  type RawBuilder,
  sql,
} from 'kysely';
import pg from 'pg';
import { prepareRepeatedStatements } from './repeated-statements.js';
import { isTracingExported, tracer } from './tracing/tracing.js';

// int8 (bigserial sequences, counts) fits comfortably in a JS number for our volumes.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Splits a database URL into the server's maintenance URL and the database name. */
function splitDatabaseUrl(url: string): { adminUrl: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`Database URL names no database: ${parsed.host}`);
  parsed.pathname = '/postgres';
  return { adminUrl: parsed.toString(), database };
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Creates the database named in `url` unless it exists (safe to race). */
export async function ensureDatabase(url: string): Promise<void> {
  const { adminUrl, database } = splitDatabaseUrl(url);
  await withAdminClient(adminUrl, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } catch (error) {
      // 42P04 duplicate_database, 23505: another process created it first.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  });
}

/** Drops the database named in `url`, disconnecting its sessions (tests only). */
export async function dropDatabase(url: string): Promise<void> {
  const { adminUrl, database } = splitDatabaseUrl(url);
  await withAdminClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`),
  );
}

export interface DbOptions {
  /** Pool size; Postgres is happiest with few connections per process. */
  max?: number;
  applicationName?: string;
  /**
   * Statements that repeat run prepared (repeated-statements.ts). Default true;
   * false only to measure what that saves.
   */
  prepareRepeated?: boolean;
}

export function createDb<DB>(url: string, options: DbOptions = {}): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName,
  });
  // A client losing its server (Postgres restart) must not crash the process: idle
  // ones report to the pool, checked-out ones (between two queries) to this listener.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (options.prepareRepeated !== false) prepareRepeatedStatements(client);
  });
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    // A CLIENT span per query, only when traces are exported (nothing otherwise).
    ...(isTracingExported() ? { log: spanOfQuery } : {}),
  });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<object, pg.Pool>();

/** The pg Pool behind a Kysely made by createDb (its metrics read the pool's counts). */
export function poolOf(db: object): pg.Pool | undefined {
  return pools.get(db);
}

/** Records a finished query as a span of the caller's trace, timed as Kysely measured it. */
function spanOfQuery(event: LogEvent): void {
  querySpan(
    event.query.sql,
    event.queryDurationMillis,
    event.level === 'error' ? event.error : undefined,
  );
}

// "pg SELECT" per statement text: a service runs a few hundred distinct ones, each often.
const querySpanNames = new Map<string, string>();

function querySpanName(statement: string): string {
  let name = querySpanNames.get(statement);
  if (name === undefined) {
    name = `pg ${statement.trim().split(/\s+/, 1)[0]?.toUpperCase() ?? 'QUERY'}`;
    // Bounded: statements built with inline values would otherwise grow it forever.
    if (querySpanNames.size < 1_000) querySpanNames.set(statement, name);
  }
  return name;
}

/**
 * A CLIENT span for a statement that took `durationMs` and ended now. Nothing at all
 * under a request or event whose span is not recorded (not sampled: its children
 * are not either), and attributes only on a span that is.
 */
function querySpan(statement: string, durationMs: number, error?: unknown): void {
  if (trace.getActiveSpan()?.isRecording() === false) return;
  const now = Date.now();
  const span = tracer().startSpan(querySpanName(statement), {
    kind: SpanKind.CLIENT,
    startTime: now - durationMs,
  });
  if (!span.isRecording()) return;
  span.setAttributes({
    'db.system.name': 'postgresql',
    'db.query.text': statement.slice(0, 2_000),
  });
  if (error !== undefined) span.recordException(String(error));
  span.end(now);
}

/**
 * A migration. It runs in a transaction, with the row recording it (consecutive ones
 * share one), unless `transaction` is false: then its statements run one by one, each
 * committed as it ends, for what a transaction cannot hold (`CREATE INDEX
 * CONCURRENTLY`, `replaceIndex`). Such a migration must be safe to run again from its
 * start: a crash or a lock timeout part way leaves what it did so far, unrecorded.
 */
export interface SchemaMigration extends Migration {
  transaction?: false;
}

/** Migrations are plain objects keyed by name; names sort into the order they run. */
export type Migrations = Record<string, SchemaMigration>;

/**
 * How long a migration's statement waits for a table's lock before the migration gives
 * up (`lock_timeout`; the migrate step's MIGRATION_LOCK_TIMEOUT_MS). A DDL statement
 * that waits for a lock holds up every later query of that table behind it: without a
 * limit, one long transaction during a rolling deploy stops the table for as long.
 */
export const MIGRATION_LOCK_TIMEOUT_MS = 5_000;

export interface MigrateOptions {
  /** `lock_timeout` for every statement of the migrations (MIGRATION_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
}

/** Held for a whole run of migrate(): one process migrates a database at a time. */
const MIGRATE_LOCK = 7_316_425_002;

/**
 * Runs the migrations not yet run, in order (Kysely's migrator): those between two run
 * statement by statement (SchemaMigration) in one transaction, each of those alone.
 * Every statement waits at most `lockTimeoutMs` for a lock: past it the transaction
 * rolls back, and this throws a MigrationError whose `lockTimedOut` is true; what
 * committed before it stays. A session lock held for the whole run makes replicas
 * migrating together wait for each other, so each migration runs in the mode it asks for.
 */
export async function migrate<DB>(
  db: Kysely<DB>,
  migrations: Migrations,
  { lockTimeoutMs = MIGRATION_LOCK_TIMEOUT_MS }: MigrateOptions = {},
): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: async () => withLockTimeout(migrations, lockTimeoutMs),
  };
  await db.connection().execute(async (session) => {
    await sql`SELECT pg_advisory_lock(${MIGRATE_LOCK})`.execute(session);
    try {
      const inTransaction = new Migrator({ db: session, provider });
      const statementByStatement = new Migrator({
        db: session,
        provider,
        disableTransactions: true,
      });
      for (;;) {
        const pending = (await inTransaction.getMigrations())
          .filter((m) => !m.executedAt)
          .map((m) => m.name);
        if (pending.length === 0) return;
        const inOwnMode = (name: string) => migrations[name]?.transaction === false;
        // A migration run statement by statement goes alone; the ones before the next
        // such go together, in one transaction (one commit, not one per migration: a
        // fresh database migrates 3-4 times faster).
        const own = pending.findIndex(inOwnMode);
        const upTo = own === -1 ? pending.at(-1)! : pending[Math.max(own - 1, 0)]!;
        const migrator = own === 0 ? statementByStatement : inTransaction;
        const { error, results } = await migrator.migrateTo(upTo);
        if (error) {
          const failed = results?.find((r) => r.status === 'Error')?.migrationName;
          throw new MigrationError(failed ?? upTo, error);
        }
      }
    } finally {
      // A session that broke has let the lock go already: the error that matters is the run's.
      await sql`SELECT pg_advisory_unlock(${MIGRATE_LOCK})`.execute(session).catch(() => {});
    }
  });
}

/**
 * Each migration first sets `lock_timeout`: local to its transaction, or, for one run
 * statement by statement, for the session until it ends.
 */
function withLockTimeout(migrations: Migrations, lockTimeoutMs: number): Migrations {
  const timeout = `${lockTimeoutMs}ms`;
  return Object.fromEntries(
    Object.entries(migrations).map(([name, migration]) => [
      name,
      {
        ...migration,
        async up(db: Kysely<unknown>) {
          const local = migration.transaction !== false;
          await sql`SELECT set_config('lock_timeout', ${timeout}, ${local})`.execute(db);
          try {
            await migration.up(db);
          } finally {
            if (!local) await sql`RESET lock_timeout`.execute(db);
          }
        },
      },
    ]),
  );
}

/**
 * Replaces index `name` by the one `create` makes, without blocking the table's
 * writes: `create(next)` must be a `CREATE [UNIQUE] INDEX CONCURRENTLY next …`. Built
 * under a name of its own, the new index takes over the name once valid; the table
 * has at least one of the two at every moment. For a migration run statement by
 * statement (`transaction: false`), safe to run again from any point: an invalid
 * build left by a failure is dropped and built again, a valid one is kept.
 */
export async function replaceIndex(
  db: Kysely<unknown>,
  name: string,
  create: (next: RawBuilder<unknown>) => RawBuilder<unknown>,
): Promise<void> {
  const next = `${name}_next`;
  const { rows } = await sql<{ valid: boolean }>`
    SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = ${next} AND c.relnamespace = 'public'::regnamespace`.execute(db);
  if (rows[0] && !rows[0].valid) await sql`DROP INDEX CONCURRENTLY ${sql.id(next)}`.execute(db);
  if (!rows[0]?.valid) await create(sql.id(next)).execute(db);
  await sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(name)}`.execute(db);
  await sql`ALTER INDEX ${sql.id(next)} RENAME TO ${sql.id(name)}`.execute(db);
}

/**
 * A migration failed. Its transaction was rolled back; one run statement by statement
 * keeps the statements that had ended (it is written to be run again).
 */
export class MigrationError extends Error {
  /** It waited longer than its lock timeout for a lock another transaction held (55P03). */
  readonly lockTimedOut: boolean;

  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`Migration ${migration} failed: ${String(cause)}`, { cause });
    this.name = 'MigrationError';
    // 55P03 lock_not_available: what lock_timeout raises.
    this.lockTimedOut = (cause as { code?: string } | null)?.code === '55P03';
  }
}

/** Creates the database if missing, connects and migrates it (tests, tools; services use the migrate step). */
export async function openDatabase<DB>(
  url: string,
  migrations: Migrations,
  options: DbOptions = {},
): Promise<Kysely<DB>> {
  await ensureDatabase(url);
  const db = createDb<DB>(url, options);
  try {
    await migrate(db, migrations);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/** What the migrate step did: the migrations it ran now, and those that had run before. */
export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/** How many times the migrate step runs the migrations while a lock times out (MIGRATION_LOCK_ATTEMPTS). */
export const MIGRATION_LOCK_ATTEMPTS = 10;

/** A migration that timed out on a lock, and when the migrate step tries again. */
export interface LockTimeoutRetry {
  migration: string;
  attempt: number;
  attempts: number;
  retryInMs: number;
}

/** Before attempt `attempt + 1`: 1 s, 2 s, 4 s … up to 30 s, the upper half jittered (replicas drift apart). */
function lockRetryDelayMs(attempt: number): number {
  const ceiling = Math.min(1_000 * 2 ** (attempt - 1), 30_000);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * The migrate step (docs/security.md, "Postgres"): as the database's owner, creates
 * the database if it is missing and the server lets this role (local superuser), runs
 * every migration not yet run, and closes. Safe to run again and from several
 * processes at once (the migrator takes a lock); a second run applies nothing.
 * A migration that waits longer than `lockTimeoutMs` for a lock (a long transaction
 * holds its table) is rolled back and run again after a back-off, `lockAttempts`
 * times in all; the queries it held up meanwhile waited at most `lockTimeoutMs`.
 */
export async function migrateDatabase(
  url: string,
  migrations: Migrations,
  options: Pick<DbOptions, 'applicationName'> &
    MigrateOptions & {
      /** The service's runtime role, granted its rows after migrating (grantRuntimeRole). */
      runtimeRole?: string | undefined;
      /** Runs of the migrations while a lock times out (MIGRATION_LOCK_ATTEMPTS). */
      lockAttempts?: number;
      /** Told before each retry after a lock timed out (the migrate step logs it). */
      onLockTimeout?: (retry: LockTimeoutRetry) => void;
      /** Waits between retries (tests pass their own). */
      delay?: (ms: number) => Promise<void>;
    } = {},
): Promise<MigrationReport> {
  const db = createDb<unknown>(url, { max: 1, applicationName: options.applicationName });
  try {
    try {
      await pingDb(db);
    } catch (error) {
      // 3D000 invalid_catalog_name: no such database. Only a role that may create
      // databases gets further (locally the superuser; provisioned roles never need to).
      if ((error as { code?: string }).code !== '3D000') throw error;
      await ensureDatabase(url);
    }
    const before = (await migrationStatus(db, migrations)).executed;
    const attempts = options.lockAttempts ?? MIGRATION_LOCK_ATTEMPTS;
    const delay = options.delay ?? sleep;
    for (let attempt = 1; ; attempt++) {
      try {
        await migrate(db, migrations, { lockTimeoutMs: options.lockTimeoutMs });
        break;
      } catch (error) {
        if (!(error instanceof MigrationError && error.lockTimedOut) || attempt >= attempts) {
          throw error;
        }
        const retryInMs = lockRetryDelayMs(attempt);
        options.onLockTimeout?.({ migration: error.migration, attempt, attempts, retryInMs });
        await delay(retryInMs);
      }
    }
    const after = (await migrationStatus(db, migrations)).executed;
    if (options.runtimeRole) await grantRuntimeRole(db, options.runtimeRole);
    return {
      applied: after.filter((name) => !before.includes(name)),
      alreadyApplied: before,
    };
  } finally {
    await db.destroy();
  }
}

/** Serialises grantRuntimeRole across replicas' migrate steps (concurrent GRANTs on one ACL fail). */
const GRANTS_LOCK = 7_316_425_001;

/**
 * What the database's owner (the migrate step, connected as it) grants the
 * service's runtime `role`, so that no superuser is needed after the database and
 * both roles exist (CloudNativePG in prod; provisioning does the same elsewhere):
 * CONNECT to this database and nothing else on it (no TEMP, no CREATE); USAGE on
 * the public schema but not CREATE; SELECT, INSERT, UPDATE, DELETE on every table
 * and USAGE, SELECT, UPDATE on every sequence, now and for those the owner makes
 * later (default privileges); no other role (PUBLIC) may connect or use the schema.
 * One transaction, under a lock: a running service never sees its grants missing,
 * and replicas migrating together wait for each other. Safe to run again.
 * The owner may do all of it: it owns the database and its objects, and the
 * public schema is its own or (PostgreSQL 15+) pg_database_owner's.
 */
export async function grantRuntimeRole(db: Kysely<unknown>, role: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${GRANTS_LOCK})`.execute(trx);
    const { rows } = await sql<{
      database: string;
      owner: string;
    }>`SELECT current_database() AS database, current_user AS owner`.execute(trx);
    const { database, owner } = rows[0]!;
    if (role === owner) {
      throw new Error(
        `DATABASE_RUNTIME_ROLE is ${role}, the role migrating: it must name the service's runtime role, not the owner`,
      );
    }
    const [db_, owner_, role_] = [sql.id(database), sql.id(owner), sql.id(role)];
    for (const statement of [
      sql`REVOKE ALL ON DATABASE ${db_} FROM PUBLIC, ${role_}`,
      sql`GRANT CONNECT ON DATABASE ${db_} TO ${role_}`,
      sql`REVOKE ALL ON SCHEMA public FROM PUBLIC, ${role_}`,
      sql`GRANT USAGE ON SCHEMA public TO ${role_}`,
      sql`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role_}`,
      sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role_}`,
      sql`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role_}`,
      sql`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role_}`,
      sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner_} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role_}`,
      sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner_} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${role_}`,
    ]) {
      await statement.execute(trx);
    }
  });
}

/** The schema is older than the code: the migrate step has not run (a service refuses to start). */
export class SchemaBehindError extends Error {
  constructor(
    readonly database: string,
    readonly missing: string[],
    /** Set when there is no database at all, rather than an older schema. */
    readonly noDatabase = false,
  ) {
    super(
      `${
        noDatabase
          ? `database "${database}" does not exist`
          : `database "${database}" is behind this release: migration ${missing.join(', ')} ` +
            `${missing.length === 1 ? 'has' : 'have'} not run`
      }. Run the migrate step first ` +
        '(`node dist/main.bundle.js --migrate` as the database owner; docs/security.md)',
    );
    this.name = 'SchemaBehindError';
  }
}

/**
 * Which migrations of `migrations` the database has run and which it has not
 * (`pending`, in order; none: the schema is current). Only reads: the runtime role
 * may not create the migrator's tables, and a missing table means nothing has run.
 * Migrations the database has and the code does not (a newer release migrated
 * first) are no concern of this release.
 */
export async function migrationStatus(
  db: Kysely<unknown>,
  migrations: Migrations,
): Promise<{ executed: string[]; pending: string[] }> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const all = await new Migrator({ db, provider }).getMigrations();
  return {
    executed: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

/**
 * Connects a service to its database as its runtime role, after checking the
 * schema is current; throws SchemaBehindError naming the missing migrations (or
 * the missing database).
 */
export async function connectDatabase<DB>(
  url: string,
  migrations: Migrations,
  options: DbOptions = {},
): Promise<Kysely<DB>> {
  const db = createDb<DB>(url, options);
  const database = databaseNameOf(url);
  try {
    const { pending } = await migrationStatus(db as Kysely<unknown>, migrations);
    if (pending.length > 0) throw new SchemaBehindError(database, pending);
  } catch (error) {
    await db.destroy();
    // 3D000 invalid_catalog_name: provisioning or the migrate step has not made it.
    if ((error as { code?: string }).code === '3D000') {
      throw new SchemaBehindError(database, Object.keys(migrations).sort(), true);
    }
    throw error;
  }
  return db;
}

function databaseNameOf(url: string): string {
  return splitDatabaseUrl(url).database;
}

/** Readiness probe: a round trip to the database. */
export async function pingDb<DB>(db: Kysely<DB>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

/** Postgres unique_violation: the constraint that guards a business rule fired. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/**
 * A statement for a hot path, named so that each connection parses and plans it
 * once (a prepared statement) instead of on every call, and written once as SQL
 * instead of built per call by Kysely. Made by preparedStatement().
 */
export interface PreparedStatement {
  name: string;
  text: string;
}

/**
 * The name is the cache key on every connection (and in PgBouncer), so it carries
 * a digest of the text: a statement whose SQL changes gets a new name, never the
 * old plan or pg's "Prepared statements must be unique".
 */
export function preparedStatement(name: string, text: string): PreparedStatement {
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { name: `${name}_${digest}`, text };
}

/**
 * Runs one prepared statement on a connection of `db`'s pool (createDb), outside any
 * transaction: one round trip, atomic by itself. For a hot path's read that answers
 * most calls alone, or a write that is one statement (a data-modifying CTE).
 */
export function runStatement<R extends Record<string, unknown>>(
  db: object,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  return tracedQueries(poolFor(db, 'runStatement')).query<R>(statement, values);
}

function poolFor(db: object, caller: string): pg.Pool {
  const pool = poolOf(db);
  if (!pool) throw new Error(`${caller} needs a Kysely made by createDb`);
  return pool;
}

/**
 * Prepared statements on `on` (a checked-out client or the pool), with a CLIENT span
 * per statement only when traces are exported (as createDb's Kysely).
 */
function tracedQueries(on: pg.Pool | pg.PoolClient): TransactionClient {
  const run: TransactionClient['query'] = (statement, values) =>
    on.query({ name: statement.name, text: statement.text, values: [...values] });
  if (!isTracingExported()) return { query: run };
  return {
    query: async <R extends Record<string, unknown>>(
      statement: PreparedStatement,
      values: readonly unknown[],
    ) => {
      const started = performance.now();
      try {
        const result = await run<R>(statement, values);
        querySpan(statement.text, performance.now() - started);
        return result;
      } catch (error) {
        querySpan(statement.text, performance.now() - started, error);
        throw error;
      }
    },
  };
}

/** A transaction's client for prepared statements (see runTransaction). */
export interface TransactionClient {
  query<R extends Record<string, unknown>>(
    statement: PreparedStatement,
    values: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * Runs `fn` in a transaction on one connection of `db`'s pool (createDb), with
 * prepared statements and no query builder: for the few hot paths where Kysely's
 * building and unnamed statements show in the profiles. Commits when `fn`
 * resolves, rolls back when it throws (and rethrows); a connection whose ROLLBACK
 * failed is discarded rather than returned to the pool.
 */
export async function runTransaction<T>(
  db: object,
  fn: (client: TransactionClient) => Promise<T>,
): Promise<T> {
  const client = await poolFor(db, 'runTransaction').connect();
  const tx = tracedQueries(client);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(tx);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
