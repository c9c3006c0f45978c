import { NotFoundError, priceSchema, requireAuth, requireUser } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createTicket } from '../create-ticket.js';
import type { TicketsDatabase } from '../db/schema.js';
import { decodeCursor, encodeCursor, listTickets, ticketSorts } from '../list-tickets.js';
import { findTicket, ticketSchema as ticket } from '../tickets.js';
import { updateTicket } from '../update-ticket.js';
import { withdrawTicket } from '../withdraw-ticket.js';
import {
  byId,
  cursorOf,
  errorBody,
  limit,
  nextLink,
  queryNumber,
  searchText,
  text,
} from './schemas.js';

const ticketInput = z.object({ title: text('Title', 120), price: priceSchema });
const newTicketInput = ticketInput.extend({
  eventId: z.uuid({ message: 'eventId must be an event id' }).nullable().optional(),
});

/** A price bound of a query: dollars, at most 2 decimals. */
const priceBound = (name: string) =>
  queryNumber(name, { decimals: true }).pipe(
    z
      .number()
      .max(1_000_000, { message: `${name} must be between 0 and 1000000` })
      .multipleOf(0.01, { message: `${name} must have at most 2 decimals` })
      .optional(),
  );

const listQuery = z
  .object({
    q: searchText('q', 120),
    available: z.enum(['true', 'false'], { message: 'available must be true or false' }).optional(),
    userId: z.uuid({ message: 'userId must be a user id' }).optional(),
    eventId: z.uuid({ message: 'eventId must be an event id' }).optional(),
    minPrice: priceBound('minPrice'),
    maxPrice: priceBound('maxPrice'),
    sort: z
      .enum(ticketSorts, { message: `sort must be one of ${ticketSorts.join(', ')}` })
      .default('newest'),
    limit,
    cursor: cursorOf(decodeCursor).optional(),
  })
  .transform((query, context) => {
    const { minPrice, maxPrice, cursor, ...rest } = query;
    if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
      context.addIssue({
        code: 'custom',
        path: ['minPrice'],
        message: 'minPrice must not be more than maxPrice',
      });
    }
    if (cursor && cursor.sort !== query.sort) {
      context.addIssue({
        code: 'custom',
        path: ['cursor'],
        message: 'Cursor belongs to another sort',
      });
    }
    return { ...rest, minPrice, maxPrice, after: cursor };
  });

export interface TicketsRoutesOptions {
  db: Kysely<TicketsDatabase>;
  /** Where these routes are mounted, for the Link header (e.g. `/api/tickets`). */
  basePath: string;
}

const security: Array<Record<string, string[]>> = [{ session: [] }, { bearer: [] }];

/** The Tickets section of the API: browse, look up, list for sale, edit, withdraw. */
export const ticketsRoutes: FastifyPluginAsyncZod<TicketsRoutesOptions> = async (app, options) => {
  const { db, basePath } = options;

  app.get(
    '/',
    {
      schema: {
        summary:
          'Tickets, newest first or by price; a Link header (rel="next") points at the next page',
        querystring: listQuery,
        response: { 200: z.array(ticket), 400: errorBody },
      },
    },
    async (request, reply) => {
      const { q, available, userId, eventId, minPrice, maxPrice, sort, limit, after } =
        request.query;
      const page = await listTickets(db, {
        q,
        available: available === undefined ? undefined : available === 'true',
        userId,
        eventId,
        minPrice,
        maxPrice,
        sort,
        limit,
        after,
      });
      if (page.next) {
        reply.header(
          'link',
          nextLink(basePath, {
            q: q || undefined,
            available,
            userId,
            eventId,
            minPrice: minPrice?.toString(),
            maxPrice: maxPrice?.toString(),
            sort: sort === 'newest' ? undefined : sort,
            limit: String(limit),
            cursor: encodeCursor(page.next),
          }),
        );
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
        summary: 'List a ticket for sale, for an event of the catalogue or none',
        security,
        body: newTicketInput,
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
        summary: "Edit a ticket's title and price (seller only, only while available)",
        security,
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

  app.delete(
    '/:id',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'Withdraw a listing (seller only, not while reserved or sold; again: still 204)',
        security,
        params: byId,
        response: {
          204: z.null().describe('Withdrawn (or already was)'),
          400: errorBody,
          401: errorBody,
          403: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      await withdrawTicket(db, requireUser(request).id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
