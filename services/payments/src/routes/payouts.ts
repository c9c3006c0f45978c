import { requireAuth, requireUser } from '@gittix/common';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { PaymentsDatabase } from '../db/schema.js';
import {
  connectPayoutAccount,
  getPayoutAccount,
  onboardingSchema,
  payoutAccountSchema,
} from '../payout-accounts.js';
import { balanceSchema, getBalance, listPayouts, payoutSchema, requestPayout } from '../payouts.js';
import type { PaymentProvider } from '../providers/index.js';
import { errorBody } from './errors.js';

export interface PayoutsRoutesOptions {
  db: Kysely<PaymentsDatabase>;
  provider: PaymentProvider;
  providerTimeoutMs: number;
  /** The site as people reach it (PUBLIC_URL): where onboarding sends the seller back. */
  publicUrl: string;
  logger: Logger;
}

/** The Payouts section of the API: a seller's balance and payouts. */
export const payoutsRoutes: FastifyPluginAsyncZod<PayoutsRoutesOptions> = async (app, options) => {
  const { db } = options;
  app.addHook('onRequest', requireAuth);

  app.get(
    '/balance',
    {
      schema: {
        summary: 'Your proceeds: pending until the event starts, available, paid out (dollars)',
        response: { 200: balanceSchema, 401: errorBody },
      },
    },
    async (request) => getBalance(db, requireUser(request).id),
  );

  app.post(
    '/',
    {
      schema: {
        summary:
          'Pay out everything available (with Stripe: a transfer to your enabled payout account)',
        response: {
          201: payoutSchema,
          400: errorBody,
          401: errorBody,
          403: errorBody,
          409: errorBody,
          503: errorBody,
        },
      },
    },
    async (request, reply) => {
      const payout = await requestPayout(
        { ...options, logger: request.log },
        requireUser(request).id,
      );
      return reply.code(201).send(payout);
    },
  );

  app.get(
    '/',
    {
      schema: {
        summary: 'Your payouts, newest first',
        response: { 200: z.array(payoutSchema), 401: errorBody },
      },
    },
    async (request) => listPayouts(db, requireUser(request).id),
  );

  app.get(
    '/account',
    {
      schema: {
        summary: 'Your payout account: none, pending (onboarding not finished) or enabled',
        response: { 200: payoutAccountSchema, 401: errorBody },
      },
    },
    async (request) =>
      getPayoutAccount({ ...options, logger: request.log }, requireUser(request).id),
  );

  app.post(
    '/account',
    {
      schema: {
        summary:
          'Connect your payout account (Stripe Connect Express, created once) and get a fresh onboarding link',
        response: {
          200: onboardingSchema,
          401: errorBody,
          403: errorBody,
          409: errorBody,
          503: errorBody,
        },
      },
    },
    async (request) =>
      connectPayoutAccount({ ...options, logger: request.log }, requireUser(request).id),
  );
};
