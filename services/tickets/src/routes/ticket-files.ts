import { Readable } from 'node:stream';
import { lingeringDrain, replicaWaiter, requireAuth, requireUser } from '@gittix/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { TicketsDatabase } from '../db/schema.js';
import { declaredFileType, ticketFileTypes } from '../files/content.js';
import type { FileStore } from '../files/store.js';
import {
  attachTicketFile,
  authorizeDownload,
  type Download,
  type DownloadGrant,
  downloadTicketFile,
} from '../files/ticket-files.js';
import { listPurchasedTickets, purchasedTicketSchema } from '../purchases.js';

const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});
const byId = z.object({ id: z.uuid() });

export interface TicketFilesRoutesOptions {
  db: Kysely<TicketsDatabase>;
  store: FileStore;
  /** The largest file accepted (TICKET_FILE_MAX_BYTES). */
  maxBytes: number;
  replicaWaitMs: number;
}

/** How long a refused upload's remaining body is read before the connection is cut. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * A refused upload's client may still be sending: read (and drop) the rest of
 * its body, within bounds, so it gets the answer rather than a reset.
 */
async function settleBody(request: FastifyRequest, reply: FastifyReply, maxBytes: number) {
  if (request.raw.readableEnded) return;
  reply.header('connection', 'close');
  await lingeringDrain(request.raw, { maxBytes: 4 * maxBytes, timeoutMs: DRAIN_TIMEOUT_MS });
}

/**
 * The ticket file: the seller attaches it (raw body, streamed into the store),
 * the seller and the buyer download it; and the tickets the caller bought.
 */
export const ticketFilesRoutes: FastifyPluginAsyncZod<TicketFilesRoutesOptions> = async (
  app,
  options,
) => {
  const { db, store, maxBytes } = options;
  const deps = { db, store, maxBytes, logger: app.log };
  // A buyer who downloads right after paying may be ahead of order.completed: wait for it.
  const untilSold = replicaWaiter({ timeoutMs: options.replicaWaitMs });

  // The body is the file itself, read as a stream by the handler: no parser
  // buffers it, and the handler (not Fastify) answers a wrong type with 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.get(
    '/purchased',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'Tickets the caller bought, newest purchase first, refunded ones included',
        security: [{ session: [] }, { bearer: [] }],
        response: { 200: z.array(purchasedTicketSchema), 401: errorBody },
      },
    },
    async (request) => listPurchasedTickets(db, requireUser(request).id),
  );

  app.put(
    '/:id/file',
    {
      onRequest: requireAuth,
      schema: {
        summary: `Attach the ticket itself (seller only): the raw file as the body, ${Object.keys(ticketFileTypes).join(', ')}, at most ${maxBytes / (1024 * 1024)} MB`,
        security: [{ session: [] }, { bearer: [] }],
        params: byId,
        response: {
          204: z.null().describe('Attached (or replaced)'),
          400: errorBody,
          401: errorBody,
          403: errorBody,
          404: errorBody,
          413: errorBody,
          415: errorBody,
        },
      },
    },
    async (request, reply) => {
      const seller = requireUser(request);
      const length = request.headers['content-length'];
      try {
        await attachTicketFile(deps, {
          ticketId: request.params.id,
          sellerId: seller.id,
          type: declaredFileType(request.headers['content-type']),
          body: request.raw.iterator({ destroyOnReturn: false }),
          length: length === undefined ? undefined : Number(length),
        });
      } catch (error) {
        await settleBody(request, reply, maxBytes);
        throw error;
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id/file',
    {
      onRequest: requireAuth,
      schema: {
        summary:
          'Download the ticket file (its seller, or the buyer of its completed order unless it was refunded)',
        security: [{ session: [] }, { bearer: [] }],
        params: byId,
        response: {
          200: z.any().describe('The file itself, as an attachment, in the type it was sent as'),
          401: errorBody,
          403: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const ticketId = request.params.id;
      // HEAD (Fastify answers it with this handler): the headers only. Nothing is read
      // from the store, and it is no download: the record is what answers a dispute.
      const head = request.method === 'HEAD';
      const download = await untilSold(
        (): Promise<DownloadGrant | Download> =>
          head
            ? authorizeDownload(db, ticketId, user.id)
            : downloadTicketFile(deps, ticketId, user.id),
      );
      const { file } = download;
      reply
        .header('content-type', file.content_type)
        .header('content-length', file.size_bytes)
        .header('content-disposition', `attachment; filename="${download.filename}"`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .header('x-content-sha256', file.sha256);
      // An empty stream, so the length stays the file's (an empty body would set it to 0).
      return reply.send('content' in download ? download.content : Readable.from([]));
    },
  );
};
