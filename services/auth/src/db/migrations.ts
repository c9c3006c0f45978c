import { eventTablesMigration, type Migrations } from '@gittix/common';
import { sql } from 'kysely';

/** Name of the unique index that makes "Email in use" a database guarantee. */
export const USERS_EMAIL_INDEX = 'users_email_key';

export const migrations: Migrations = {
  '0001_users': {
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex(USERS_EMAIL_INDEX)
        .on('users')
        .unique()
        .expression(sql`lower(email)`)
        .execute();
    },
  },
  '0002_sign_in_failures': {
    async up(db) {
      await db.schema
        .createTable('sign_in_failures')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('sign_in_failures_window_started_at_idx')
        .on('sign_in_failures')
        .column('window_started_at')
        .execute();
    },
  },
  // Auth publishes since accounts can be verified and sessions ended: the outbox (and
  // the inbox, unused) come after the first release's tables, so they are 0003.
  '0003_event_tables': eventTablesMigration,
  '0004_accounts': {
    async up(db) {
      await db.schema
        .alterTable('users')
        .addColumn('email_verified', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Verification and reset links: only a SHA-256 of each token is kept.
      await db.schema
        .createTable('email_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose IN ('verify', 'reset')`))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('used_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('email_tokens_user_id_idx')
        .on('email_tokens')
        .columns(['user_id', 'purpose'])
        .execute();
      // One row per session token issued: what sign-out, a reset or a change ends.
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('sessions_live_idx')
        .on('sessions')
        .column('user_id')
        .where(sql.ref('revoked_at'), 'is', null)
        .execute();
    },
  },
};
