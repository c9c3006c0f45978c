import { NotFoundError, replicaWaiter, requireAuth, requireUser } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { cancelOrder } from '../cancel-order.js';
import { createOrder } from '../create-order.js';
import type { OrdersDatabase } from '../db/schema.js';
import { orderOutcomes } from '../metrics.js';
import { findOrder, listOrders, orderSchema as order, toOrder } from '../orders.js';

const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});
const orderParams = z.object({ id: z.uuid() });
// A request with no body at all is missing its ticketId too, and is told so.
const orderRequest = z.preprocess(
  (body) => body ?? {},
  z.object({ ticketId: z.uuid({ error: 'ticketId must be a valid ticket id' }) }),
);
const security: Array<Record<string, string[]>> = [{ session: [] }, { bearer: [] }];

export interface OrdersRoutesOptions {
  db: Kysely<OrdersDatabase>;
  orderExpirationSeconds: number;
  maxOpenOrdersPerUser: number;
  replicaWaitMs: number;
}

/** The Orders section of the API: reserve a ticket, list, show and cancel orders. */
export const ordersRoutes: FastifyPluginAsyncZod<OrdersRoutesOptions> = async (app, options) => {
  const { db } = options;
  const outcomes = orderOutcomes(app.metrics);
  // A ticket listed a moment ago may not have reached the replica yet: wait for it.
  const untilReplicated = replicaWaiter({ timeoutMs: options.replicaWaitMs });

  app.post(
    '/',
    {
      // Before validation: a signed-out caller hears 401 whatever it sent.
      onRequest: requireAuth,
      schema: {
        summary: 'Order a ticket: reserves it until expiresAt',
        security,
        body: orderRequest,
        response: {
          201: order,
          400: errorBody,
          401: errorBody,
          404: errorBody,
          429: errorBody.describe('The buyer already holds MAX_OPEN_ORDERS_PER_USER unpaid orders'),
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const created = await untilReplicated(() =>
        createOrder(
          {
            db,
            expirationSeconds: options.orderExpirationSeconds,
            maxOpenOrders: options.maxOpenOrdersPerUser,
          },
          { userId: user.id, ticketId: request.body.ticketId },
        ),
      );
      outcomes.inc({ outcome: 'created' });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/',
    {
      onRequest: requireAuth,
      schema: {
        summary: "The caller's orders, newest first",
        security,
        response: { 200: z.array(order), 401: errorBody },
      },
    },
    async (request) => listOrders(db, requireUser(request).id),
  );

  app.get(
    '/:id',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'One of the caller’s orders',
        security,
        params: orderParams,
        response: { 200: order, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const found = await findOrder(db, requireUser(request).id, request.params.id);
      if (!found) throw new NotFoundError('Order not found');
      return toOrder(found);
    },
  );

  app.delete(
    '/:id',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'Cancel an order and release its ticket',
        security,
        params: orderParams,
        response: {
          204: z.null().describe('Cancelled (or already was)'),
          400: errorBody,
          401: errorBody,
          404: errorBody,
        },
      },
    },
    async (request, reply) => {
      const orderId = request.params.id;
      if (await cancelOrder(db, { userId: requireUser(request).id, orderId })) {
        outcomes.inc({ outcome: 'cancelled' });
      }
      return reply.code(204).send(null);
    },
  );
};
