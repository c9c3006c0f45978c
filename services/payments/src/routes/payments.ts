import { replicaWaiter, requireAuth, requireUser } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase } from '../db/schema.js';
import type { PaymentLimits } from '../limits.js';
import { paymentOutcomes } from '../metrics.js';
import { payForOrder } from '../pay-for-order.js';
import { getPayment, listPayments, paymentSchema as payment } from '../payments.js';
import type { PaymentProvider } from '../providers/index.js';
import { errorBody } from './errors.js';

const payBody = z.object({
  orderId: z.uuid({ error: 'orderId must be an order id' }),
  token: z
    .string({ error: 'token must be a card token' })
    .trim()
    .min(1, { error: 'token must be a card token' })
    .max(255, { error: 'token must be at most 255 characters' }),
});

export interface PaymentsRoutesOptions {
  db: Kysely<PaymentsDatabase>;
  /** The pool of POST /api/payments alone. */
  paymentsDb: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  limits: PaymentLimits;
  maxDeclines: number;
  feePercent: number;
  replicaWaitMs: number;
}

/** The Payments section of the API: pay for an order, list one's payments. */
export const paymentsRoutes: FastifyPluginAsyncZod<PaymentsRoutesOptions> = async (
  app,
  options,
) => {
  const { db } = options;
  // An order placed a moment ago may not have reached the replica yet: wait for it.
  const untilReplicated = replicaWaiter({ timeoutMs: options.replicaWaitMs });
  // Signed-in first: a stranger learns nothing from validation messages.
  app.addHook('onRequest', requireAuth);

  app.post(
    '/',
    {
      schema: {
        summary: 'Authorize a card for one of your orders; captured once the order completes',
        body: payBody,
        response: {
          201: payment,
          400: errorBody,
          401: errorBody,
          402: errorBody,
          404: errorBody,
          429: errorBody,
          503: errorBody,
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const paid = await options.limits.run(user.id, () =>
        untilReplicated(() =>
          payForOrder(
            {
              db: options.paymentsDb,
              provider: options.provider,
              providerTimeoutMs: options.providerTimeoutMs,
              maxDeclines: options.maxDeclines,
              feePercent: options.feePercent,
              outcomes: paymentOutcomes(app.metrics),
            },
            { ...request.body, userId: user.id },
          ),
        ),
      );
      return reply.code(201).send(paid);
    },
  );

  app.get(
    '/',
    {
      schema: {
        summary: 'Your payments, newest first',
        response: { 200: z.array(payment), 401: errorBody },
      },
    },
    async (request) => listPayments(db, requireUser(request).id),
  );

  app.get(
    '/:id',
    {
      schema: {
        summary: 'One of your payments',
        params: z.object({ id: z.uuid() }),
        response: { 200: payment, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => getPayment(db, requireUser(request).id, request.params.id),
  );
};
