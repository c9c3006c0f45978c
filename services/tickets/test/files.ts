import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FileStore } from '../src/files/store.js';
import type { Ticket } from '../src/tickets.js';
import type { TicketsFixture } from './fixture.js';

/** A body that really starts as a PDF, `size` bytes in all. */
export function pdfBytes(size = 64 * 1024): Buffer {
  const head = Buffer.from('%PDF-1.7\n');
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}

export function pngBytes(size = 4096): Buffer {
  const head = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

type User = Awaited<ReturnType<TicketsFixture['user']>>;

/** PUT /api/tickets/:id/file as `user`. */
export function putFile(
  fx: TicketsFixture,
  ticketId: string,
  user: User | undefined,
  body: Buffer | undefined,
  /** null: no content-type header at all. */
  contentType: string | null = 'application/pdf',
) {
  return fx.app.inject({
    method: 'PUT',
    url: `/api/tickets/${ticketId}/file`,
    headers: {
      ...(user?.headers ?? {}),
      ...(contentType ? { 'content-type': contentType } : {}),
    },
    ...(body ? { payload: body } : {}),
  });
}

export function getFile(fx: TicketsFixture, ticketId: string, user: User | undefined) {
  return fx.app.inject({
    method: 'GET',
    url: `/api/tickets/${ticketId}/file`,
    headers: user?.headers ?? {},
  });
}

/** The orders service completing `buyer`'s order of `ticket` (consumers must run). */
export async function completePurchase(fx: TicketsFixture, ticket: Ticket, buyerId: string) {
  const orderId = randomUUID();
  await fx.deliver('order.completed', {
    id: orderId,
    version: 2,
    userId: buyerId,
    paymentId: randomUUID(),
    ticket: { id: ticket.id, price: ticket.price, userId: ticket.userId, title: ticket.title },
  });
  return orderId;
}

/** What the database holds of a ticket's file: its row and its chunks' bytes. */
export async function storedFile(fx: TicketsFixture, ticketId: string) {
  const row = await fx.db
    .selectFrom('ticket_files')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
  const chunks = await fx.db
    .selectFrom('ticket_file_chunks')
    .select(['object_key', 'seq'])
    .where('object_key', 'like', `tickets/${ticketId}/%`)
    .execute();
  return { row, chunkKeys: [...new Set(chunks.map((c) => c.object_key))], chunks: chunks.length };
}

/**
 * `store`, except that its first `get` lets `replace` land first (the seller's new
 * file committed, the old content deleted): a download that read the file's row is
 * left holding a key whose content is gone.
 */
export function replacedBeforeFirstGet(store: FileStore, replace: () => Promise<void>): FileStore {
  let replaced = false;
  return {
    ...store,
    async get(key, size) {
      if (!replaced) {
        replaced = true;
        await replace();
      }
      return store.get(key, size);
    },
  };
}
