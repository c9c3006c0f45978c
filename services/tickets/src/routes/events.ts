import { NotFoundError, requireAuth, requireUser } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  createEvent,
  decodeEventCursor,
  encodeEventCursor,
  eventSchema as event,
  findEvent,
  listEvents,
} from '../catalogue.js';
import type { TicketsDatabase } from '../db/schema.js';
import { byId, cursorOf, errorBody, limit, nextLink, searchText, text } from './schemas.js';

const isoTime = (name: string) =>
  z.iso.datetime({ offset: true, message: `${name} must be an ISO 8601 time` });

const eventInput = z.object({
  name: text('Name', 120),
  venue: text('Venue', 120),
  city: text('City', 80),
  // Worded by the field's label, as the text fields are: a form shows it beside `Starts at`.
  startsAt: isoTime('Starts at')
    .transform((value) => new Date(value))
    .refine((startsAt) => startsAt.getTime() > Date.now(), {
      message: 'Starts at must be in the future',
    }),
});

const listQuery = z
  .object({
    q: searchText('q', 120),
    city: searchText('city', 80),
    from: isoTime('from').optional(),
    to: isoTime('to').optional(),
    limit,
    cursor: cursorOf(decodeEventCursor).optional(),
  })
  .superRefine((query, context) => {
    if (query.from && query.to && Date.parse(query.from) > Date.parse(query.to)) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' });
    }
  });

export interface EventsRoutesOptions {
  db: Kysely<TicketsDatabase>;
  /** Where these routes are mounted, for the Link header (`/api/events`). */
  basePath: string;
}

/** The Events section of the API: the catalogue people shop by. */
export const eventsRoutes: FastifyPluginAsyncZod<EventsRoutesOptions> = async (app, options) => {
  const { db, basePath } = options;

  app.get(
    '/',
    {
      schema: {
        summary:
          'Upcoming events, soonest first; a Link header (rel="next") points at the next page',
        querystring: listQuery,
        response: { 200: z.array(event), 400: errorBody },
      },
    },
    async (request, reply) => {
      const { q, city, from, to, limit, cursor } = request.query;
      const page = await listEvents(db, {
        q,
        city: city || undefined,
        from: from === undefined ? undefined : new Date(from),
        to: to === undefined ? undefined : new Date(to),
        limit,
        after: cursor,
      });
      if (page.next) {
        reply.header(
          'link',
          nextLink(basePath, {
            q: q || undefined,
            city: city || undefined,
            from,
            to,
            limit: String(limit),
            cursor: encodeEventCursor(page.next),
          }),
        );
      }
      return page.events;
    },
  );

  app.get(
    '/:id',
    {
      schema: {
        summary: 'One event, past ones too',
        params: byId,
        response: { 200: event, 404: errorBody },
      },
    },
    async (request) => {
      const found = await findEvent(db, request.params.id);
      if (!found) throw new NotFoundError('Event not found');
      return found;
    },
  );

  app.post(
    '/',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'Add an event to the catalogue',
        security: [{ session: [] }, { bearer: [] }],
        body: eventInput,
        response: { 201: event, 400: errorBody, 401: errorBody },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.code(201).send(await createEvent(db, user.id, request.body));
    },
  );
};
