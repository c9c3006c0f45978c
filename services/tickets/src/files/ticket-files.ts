import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  BadRequestError,
  enqueueEvent,
  ForbiddenError,
  NotFoundError,
  NotReplicatedYetError,
} from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { TicketsDatabase } from '../db/schema.js';
import {
  EmptyFileError,
  type FileMeasure,
  FileTooLargeError,
  inspectUpload,
  sniffUpload,
  type TicketFileType,
  ticketFileTypes,
} from './content.js';
import type { TicketFilesTable } from './schema.js';
import type { FileStore } from './store.js';

export interface TicketFilesDeps {
  db: Kysely<TicketsDatabase>;
  store: FileStore;
  logger: FastifyBaseLogger;
  maxBytes: number;
}

export interface Upload {
  ticketId: string;
  sellerId: string;
  type: TicketFileType;
  /** The raw body, read as it arrives. */
  body: AsyncIterable<Buffer | Uint8Array | string>;
  /** The body's Content-Length, when the request has one. */
  length: number | undefined;
}

type Db = Kysely<TicketsDatabase> | Transaction<TicketsDatabase>;

/**
 * The ticket the seller may attach a file to, or why not: unknown (404), someone
 * else's (403), withdrawn or its event started (400). A sold ticket may still get
 * its file (late delivery).
 */
async function fileableTicket(db: Db, ticketId: string, sellerId: string, lock: boolean) {
  let query = db
    .selectFrom('tickets')
    .select(['id', 'user_id', 'status', 'event_starts_at'])
    .where('id', '=', ticketId);
  if (lock) query = query.forUpdate();
  const ticket = await query.executeTakeFirst();
  if (!ticket) throw new NotFoundError('Ticket not found');
  if (ticket.user_id !== sellerId) {
    throw new ForbiddenError('Only the seller can attach the ticket file');
  }
  if (ticket.status === 'withdrawn') {
    throw new BadRequestError('Cannot attach a file to a withdrawn ticket');
  }
  if (ticket.event_starts_at && ticket.event_starts_at.getTime() <= Date.now()) {
    throw new BadRequestError('The event has started');
  }
  return ticket;
}

/**
 * Attaches (or replaces) a ticket's file: checked before a byte is read (ticket,
 * seller, declared size), streamed into the store while its type, size and
 * SHA-256 are checked, then recorded in one short transaction that re-checks
 * the ticket under a row lock. Nothing is left stored when any step fails; the
 * replaced file's content is deleted once the new one is committed.
 */
export async function attachTicketFile(deps: TicketFilesDeps, upload: Upload): Promise<void> {
  const { db, store, logger, maxBytes } = deps;
  await fileableTicket(db, upload.ticketId, upload.sellerId, false);
  if (upload.length !== undefined && upload.length > maxBytes)
    throw new FileTooLargeError(maxBytes);
  if (upload.length === 0) throw new EmptyFileError();

  const key = `tickets/${upload.ticketId}/${randomUUID()}.${ticketFileTypes[upload.type].extension}`;
  const measure: Partial<FileMeasure> & { failure?: Error } = {};
  const content = await sniffUpload(upload.body, upload.type);
  try {
    await store.put(key, inspectUpload(content, upload.type, maxBytes, measure), upload.length);
  } catch (error) {
    throw measure.failure ?? error;
  }
  const { size, sha256 } = measure;
  if (size === undefined || sha256 === undefined) {
    await store.delete(key);
    throw new Error('the store finished before reading the whole upload');
  }

  let replaced: string | undefined;
  try {
    replaced = await db.transaction().execute(async (trx) => {
      await fileableTicket(trx, upload.ticketId, upload.sellerId, true);
      const previous = await trx
        .selectFrom('ticket_files')
        .select('object_key')
        .where('ticket_id', '=', upload.ticketId)
        .executeTakeFirst();
      const file = {
        object_key: key,
        storage: store.kind,
        content_type: upload.type,
        size_bytes: size,
        sha256,
        uploaded_by: upload.sellerId,
      };
      await trx
        .insertInto('ticket_files')
        .values({ ticket_id: upload.ticketId, ...file })
        .onConflict((oc) =>
          oc
            .column('ticket_id')
            .doUpdateSet({ ...file, uploaded_at: sql<Date>`clock_timestamp()` }),
        )
        .execute();
      await trx
        .updateTable('tickets')
        .set({ has_file: true })
        .where('id', '=', upload.ticketId)
        .execute();
      // Notifications tells a buyer who paid before the file came that it is here.
      await enqueueEvent(trx, 'ticket.file_attached', {
        ticketId: upload.ticketId,
        userId: upload.sellerId,
        replaced: previous !== undefined,
      });
      return previous?.object_key;
    });
  } catch (error) {
    await store.delete(key);
    throw error;
  }
  logger.info(
    { ticketId: upload.ticketId, size, sha256, storage: store.kind },
    'ticket file attached',
  );
  if (replaced) {
    await store.delete(replaced).catch((error: unknown) => {
      logger.warn({ err: error, key: replaced }, 'replaced ticket file left in the store');
    });
  }
}

export type TicketFile = Selectable<TicketFilesTable>;

export interface Download {
  file: TicketFile;
  filename: string;
  content: Readable;
}

/** What may be downloaded, and as whom; nothing recorded, nothing read from the store yet. */
export interface DownloadGrant {
  file: TicketFile;
  filename: string;
  role: 'seller' | 'buyer';
}

/**
 * Whether `userId` may have the ticket's file: the seller, or the buyer of its
 * completed order unless it was refunded (anyone else 403; no such ticket or no file
 * 404). A HEAD stops here: it learns the headers, but receives no byte and is not a
 * download.
 */
export async function authorizeDownload(
  db: Kysely<TicketsDatabase>,
  ticketId: string,
  userId: string,
): Promise<DownloadGrant> {
  // The buyer is the one recorded for the order the ticket is sold to.
  const ticket = await db
    .selectFrom('tickets')
    .leftJoin('ticket_purchases', (join) =>
      join
        .onRef('ticket_purchases.ticket_id', '=', 'tickets.id')
        .onRef('ticket_purchases.order_id', '=', 'tickets.order_id'),
    )
    .leftJoin('purchase_refunds', 'purchase_refunds.order_id', 'ticket_purchases.order_id')
    .select([
      'tickets.user_id as seller_id',
      'tickets.status',
      'ticket_purchases.buyer_id',
      'purchase_refunds.refunded_at',
    ])
    .where('tickets.id', '=', ticketId)
    .executeTakeFirst();
  if (!ticket) throw new NotFoundError('Ticket not found');
  const role =
    ticket.seller_id === userId
      ? 'seller'
      : ticket.status === 'sold' && ticket.buyer_id === userId
        ? 'buyer'
        : undefined;
  const refused = 'Only the seller and the buyer can download this ticket';
  // Reserved: its buyer may have paid a moment ago, the order.completed still on its way.
  if (!role && ticket.status === 'reserved') throw new NotReplicatedYetError(refused, 403);
  if (!role) throw new ForbiddenError(refused);
  // The buyer has their money back: the ticket is no longer theirs (the seller keeps theirs).
  if (role === 'buyer' && ticket.refunded_at)
    throw new ForbiddenError('This purchase was refunded');

  const file = await db
    .selectFrom('ticket_files')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
  if (!file) throw new NotFoundError('This ticket has no file yet');
  const extension = ticketFileTypes[file.content_type as TicketFileType]?.extension ?? 'bin';
  return { file, role, filename: `ticket-${ticketId}.${extension}` };
}

/**
 * A ticket's file for `userId`, if they may have it (authorizeDownload). The
 * download is recorded (who, when, which content) before a byte is sent.
 *
 * A replacement committed between reading the file's row and fetching its content
 * has deleted that content (an S3 store says so at once; a Postgres store's chunks
 * are read lazily, so it fails mid-way, see docs/tickets.md): the row is read again
 * and the new file served, recorded as what was sent.
 */
export async function downloadTicketFile(
  deps: Pick<TicketFilesDeps, 'db' | 'store'>,
  ticketId: string,
  userId: string,
): Promise<Download> {
  const { db, store } = deps;
  let grant = await authorizeDownload(db, ticketId, userId);
  let content: Readable;
  try {
    content = await store.get(grant.file.object_key, grant.file.size_bytes);
  } catch (error) {
    const again = await authorizeDownload(db, ticketId, userId);
    if (again.file.object_key === grant.file.object_key) throw error;
    grant = again;
    content = await store.get(grant.file.object_key, grant.file.size_bytes);
  }
  const { file, role, filename } = grant;
  try {
    await db
      .insertInto('ticket_file_downloads')
      .values({
        ticket_id: ticketId,
        object_key: file.object_key,
        sha256: file.sha256,
        user_id: userId,
        role,
      })
      .execute();
  } catch (error) {
    content.destroy();
    throw error;
  }
  return { file, filename, content };
}
