import type { Migration } from 'kysely';
import { sql } from 'kysely';

/** Attached ticket files, their content (when kept in Postgres), downloads and buyers. */
export const ticketFilesMigration: Migration = {
  async up(db) {
    await db.schema
      .alterTable('tickets')
      .addColumn('has_file', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
    await db.schema
      .createTable('ticket_files')
      .addColumn('ticket_id', 'uuid', (c) => c.primaryKey().references('tickets.id'))
      .addColumn('object_key', 'text', (c) => c.notNull().unique())
      .addColumn('storage', 'text', (c) => c.notNull().check(sql`storage IN ('postgres', 's3')`))
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull().check(sql`size_bytes > 0`))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('uploaded_by', 'uuid', (c) => c.notNull())
      .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
      .execute();
    await db.schema
      .createTable('ticket_file_chunks')
      .addColumn('object_key', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('bytes', 'bytea', (c) => c.notNull())
      .addPrimaryKeyConstraint('ticket_file_chunks_pk', ['object_key', 'seq'])
      .execute();
    await db.schema
      .createTable('ticket_file_downloads')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('ticket_id', 'uuid', (c) => c.notNull())
      .addColumn('object_key', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('seller', 'buyer')`))
      .addColumn('downloaded_at', 'timestamptz', (c) =>
        c.notNull().defaultTo(sql`clock_timestamp()`),
      )
      .execute();
    await sql`CREATE INDEX ticket_file_downloads_ticket ON ticket_file_downloads (ticket_id, downloaded_at)`.execute(
      db,
    );
    await db.schema
      .createTable('ticket_purchases')
      .addColumn('ticket_id', 'uuid', (c) => c.primaryKey())
      .addColumn('order_id', 'uuid', (c) => c.notNull())
      .addColumn('buyer_id', 'uuid', (c) => c.notNull())
      .addColumn('purchased_at', 'timestamptz', (c) =>
        c.notNull().defaultTo(sql`clock_timestamp()`),
      )
      .execute();
    await sql`CREATE INDEX ticket_purchases_buyer ON ticket_purchases (buyer_id, purchased_at DESC, ticket_id DESC)`.execute(
      db,
    );
  },
};
