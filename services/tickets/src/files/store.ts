import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { TicketsDatabase } from '../db/schema.js';

/** Where ticket file content lives; the metadata (ticket_files) is always in Postgres. */
export interface FileStore {
  readonly kind: 'postgres' | 's3';
  /**
   * Streams `content` in under `key`. Resolves once all of it is stored; on any
   * failure (the content's own, the store's) rejects and leaves nothing behind.
   * `length` is the content's size when the request said it.
   */
  put(key: string, content: AsyncIterable<Buffer>, length?: number): Promise<void>;
  /** The content, streamed out; fails mid-way if it is no longer all there. */
  get(key: string, size: number): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Lets go of connections (S3's sockets), at shutdown. */
  close?(): Promise<void>;
}

/** Chunks small enough that 20 parallel transfers stay a few MB of memory. */
export const CHUNK_BYTES = 256 * 1024;

/** Re-cuts a stream into pieces of exactly `size` bytes (the last one shorter). */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

/**
 * Content in the tickets database, in ticket_file_chunks rows of CHUNK_BYTES:
 * written one chunk per statement as the upload arrives, read one chunk per
 * query as the download is sent, so no query ever carries a whole file.
 *
 * Memory (bench/files/REPORT.md): `pg` reads a `bytea` as hex text, twice its
 * size, so each chunk read leaves a few of its sizes in dead buffers and strings.
 * They are garbage, not retained (a forced GC returns heap and external memory to
 * where they were), collected when V8's external-memory limit is reached. Binary
 * result mode would avoid the hex, but pg 8.23 decodes every field as UTF-8 text
 * even in binary mode, which corrupts raw bytes: do not switch to it.
 */
export function postgresFileStore(
  db: Kysely<TicketsDatabase>,
  { chunkBytes = CHUNK_BYTES }: { chunkBytes?: number } = {},
): FileStore {
  const remove = async (key: string) => {
    await db.deleteFrom('ticket_file_chunks').where('object_key', '=', key).execute();
  };
  return {
    kind: 'postgres',
    async put(key, content) {
      let seq = 0;
      try {
        for await (const bytes of rechunk(content, chunkBytes)) {
          await db
            .insertInto('ticket_file_chunks')
            .values({ object_key: key, seq, bytes })
            .execute();
          seq += 1;
        }
      } catch (error) {
        await remove(key);
        throw error;
      }
    },
    async get(key, size) {
      const chunk = async (seq: number) =>
        (
          await db
            .selectFrom('ticket_file_chunks')
            .select('bytes')
            .where('object_key', '=', key)
            .where('seq', '=', seq)
            .executeTakeFirst()
        )?.bytes;
      // The first chunk before answering, so content already gone (a replacement
      // deleted it) fails here, as S3's get does, not after the headers went out.
      const found = await chunk(0);
      if (!found) throw new Error(`ticket file ${key} is not in the store`);
      const first: Buffer = found;
      async function* chunks(): AsyncGenerator<Buffer> {
        let sent = first.length;
        yield first;
        for (let seq = 1; sent < size; seq += 1) {
          const bytes = await chunk(seq);
          if (!bytes) throw new Error(`ticket file ${key} ended at ${sent} of ${size} bytes`);
          sent += bytes.length;
          yield bytes;
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    delete: remove,
  };
}
