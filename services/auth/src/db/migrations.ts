import type { Migrations } from '@gittix/common';
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
};
