import { requireAuth, requireUser } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase } from '../db/schema.js';
import { payForOrder } from '../pay-for-order.js';
import { listReceipts, paymentSchema as payment, receiptSchema as receipt } from '../payments.js';
import type { PaymentProvider } from '../providers/index.js';

const payBody = z.object({
  orderId: z.uuid({ error: 'orderId must be an order id' }),
  token: z
    .string({ error: 'token must be a card token' })
    .trim()
    .min(1, { error: 'token must be a card token' })
    .max(255, { error: 'token must be at most 255 characters' }),
});
const errorBody = z.object({
  errors: z.array(z.object({ message: z.string(), field: z.string().optional() })),
});

export interface PaymentsRoutesOptions {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
}

/** The Payments section of the API: pay for an order, list one's receipts. */
export const paymentsRoutes: FastifyPluginAsyncZod<PaymentsRoutesOptions> = async (
  app,
  options,
) => {
  const { db } = options;
  // Signed-in first: a stranger learns nothing from validation messages.
  app.addHook('onRequest', requireAuth);

  app.post(
    '/',
    {
      schema: {
        summary: 'Pay for one of your orders with a card token',
        body: payBody,
        response: {
          201: payment,
          400: errorBody,
          401: errorBody,
          402: errorBody,
          404: errorBody,
          503: errorBody,
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const paid = await payForOrder(options, { ...request.body, userId: user.id });
      return reply.code(201).send(paid);
    },
  );

  app.get(
    '/',
    {
      schema: {
        summary: 'Your payments (receipts), newest first',
        response: { 200: z.array(receipt), 401: errorBody },
      },
    },
    async (request) => listReceipts(db, requireUser(request).id),
  );
};
