import { NotFoundError, priceSchema, requireAuth, requireUser } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createTicket } from '../create-ticket.js';
import type { TicketsDatabase } from '../db/schema.js';
import { decodeCursor, encodeCursor, listTickets, type TicketCursor } from '../list-tickets.js';
import { findTicket, ticketSchema as ticket } from '../tickets.js';
import { updateTicket } from '../update-ticket.js';

const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});
const byId = z.object({ id: z.uuid() });

/** Postgres text cannot hold U+0000. */
const hasNoNul = (value: string) => !value.includes('\u0000');

const ticketInput = z.object({
  title: z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'Title is required' : 'Title must be a string',
    })
    .trim()
    .min(1, { message: 'Title must not be blank' })
    .max(120, { message: 'Title must be at most 120 characters' })
    .refine(hasNoNul, { message: 'Title must not contain NUL characters' }),
  price: priceSchema,
});

const cursor = z.string().transform((value, context): TicketCursor => {
  const decoded = decodeCursor(value);
  if (!decoded) {
    context.addIssue({ code: 'custom', message: 'Cursor is not one this service gave out' });
    return z.NEVER;
  }
  return decoded;
});

const listQuery = z.object({
  q: z
    .string()
    .trim()
    .max(120, { message: 'q must be at most 120 characters' })
    .refine(hasNoNul, { message: 'q must not contain NUL characters' })
    .optional(),
  available: z.enum(['true', 'false'], { message: 'available must be true or false' }).optional(),
  userId: z.uuid({ message: 'userId must be a user id' }).optional(),
  limit: z.coerce
    .number({ message: 'limit must be a number' })
    .int({ message: 'limit must be a whole number' })
    .min(1, { message: 'limit must be between 1 and 100' })
    .max(100, { message: 'limit must be between 1 and 100' })
    .default(100),
  cursor: cursor.optional(),
});

export interface TicketsRoutesOptions {
  db: Kysely<TicketsDatabase>;
  /** Where these routes are mounted, for the Link header (e.g. `/api/tickets`). */
  basePath: string;
}

/** The Tickets section of the API: browse, look up, list for sale, edit. */
export const ticketsRoutes: FastifyPluginAsyncZod<TicketsRoutesOptions> = async (app, options) => {
  const { db, basePath } = options;

  app.get(
    '/',
    {
      schema: {
        summary: 'Tickets, newest first; a Link header (rel="next") points at the next page',
        querystring: listQuery,
        response: { 200: z.array(ticket), 400: errorBody },
      },
    },
    async (request, reply) => {
      const { q, available, userId, limit } = request.query;
      const page = await listTickets(db, {
        q,
        available: available === undefined ? undefined : available === 'true',
        userId,
        limit,
        after: request.query.cursor,
      });
      if (page.next) {
        const query = new URLSearchParams();
        if (q) query.set('q', q);
        if (available) query.set('available', available);
        if (userId) query.set('userId', userId);
        query.set('limit', String(limit));
        query.set('cursor', encodeCursor(page.next));
        reply.header('link', `<${basePath}?${query}>; rel="next"`);
      }
      return page.tickets;
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        summary: 'One ticket',
        params: byId,
        response: { 200: ticket, 404: errorBody },
      },
    },
    async (request) => {
      const found = await findTicket(db, request.params.id);
      if (!found) throw new NotFoundError('Ticket not found');
      return found;
    },
  );

  app.post(
    '/',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'List a ticket for sale',
        security: [{ session: [] }, { bearer: [] }],
        body: ticketInput,
        response: { 201: ticket, 400: errorBody, 401: errorBody },
      },
    },
    async (request, reply) => {
      const seller = requireUser(request);
      return reply.code(201).send(await createTicket(db, seller.id, request.body));
    },
  );

  app.put(
    '/:id',
    {
      onRequest: requireAuth,
      schema: {
        summary: "Edit a ticket's title and price (seller only, not while reserved)",
        security: [{ session: [] }, { bearer: [] }],
        params: byId,
        body: ticketInput,
        response: { 200: ticket, 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const editor = requireUser(request);
      return updateTicket(db, editor.id, request.params.id, request.body);
    },
  );
};
