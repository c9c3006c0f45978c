import { BadRequestError } from '@gittix/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import Stripe from 'stripe';
import { z } from 'zod';
import type { PaymentsDatabase } from '../db/schema.js';
import { recordAccountState } from '../payout-accounts.js';
import { applyProviderNews, type ProviderNews } from '../provider-events.js';
import { accountState, statusOf } from '../providers/stripe.js';
import { errorBody } from './errors.js';

export interface WebhooksRoutesOptions {
  db: Kysely<PaymentsDatabase>;
  /** `whsec_…`; unset: every call is refused. */
  stripeWebhookSecret: string | undefined;
  feePercent: number;
}

/** What a Stripe event says about one of our payments, or null when it says nothing. */
function newsOf(event: Stripe.Event): ProviderNews | null {
  const object = event.data.object as { object?: string };
  if (object.object === 'payment_intent') {
    const intent = object as Stripe.PaymentIntent;
    const status = statusOf(intent);
    if (!status) return null;
    return { paymentId: intent.metadata?.paymentId, providerId: intent.id, status };
  }
  if (object.object === 'charge' && event.type === 'charge.refunded') {
    const charge = object as Stripe.Charge;
    const providerId =
      typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    if (!providerId) return null;
    return {
      paymentId: charge.metadata?.paymentId,
      providerId,
      status: 'refunded',
      refundId: charge.refunds?.data[0]?.id,
    };
  }
  return null;
}

/** `POST /api/payments/webhooks/stripe`: Stripe's news, signature-checked, settled idempotently. */
export const webhooksRoutes: FastifyPluginAsyncZod<WebhooksRoutesOptions> = async (
  app,
  options,
) => {
  // The signature covers the exact bytes Stripe sent: keep them.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/stripe',
    {
      schema: {
        summary:
          "Stripe's webhook: payment intents authorized, captured, canceled, refunded; Connect accounts updated",
        response: { 200: z.object({ received: z.boolean() }), 400: errorBody },
      },
    },
    async (request) => {
      const signature = request.headers['stripe-signature'];
      if (!options.stripeWebhookSecret || typeof signature !== 'string' || !signature) {
        throw new BadRequestError('Missing or invalid stripe-signature');
      }
      let event: Stripe.Event;
      try {
        event = Stripe.webhooks.constructEvent(
          typeof request.body === 'string' ? request.body : '',
          signature,
          options.stripeWebhookSecret,
        );
      } catch {
        throw new BadRequestError('Missing or invalid stripe-signature');
      }
      const log = request.log.child({ stripeEventId: event.id, stripeEventType: event.type });
      const object = event.data.object as { object?: string };
      if (event.type === 'account.updated' && object.object === 'account') {
        const state = accountState(object as Stripe.Account);
        const known = await recordAccountState(options.db, state, new Date(event.created * 1000));
        if (!known) log.warn({ accountId: state.accountId }, 'Stripe event for no known account');
        else log.info(state, 'payout account updated');
        return { received: true };
      }
      const news = newsOf(event);
      if (!news) return { received: true };
      const known = await applyProviderNews(
        options.db,
        news,
        { feePercent: options.feePercent },
        log,
      );
      if (!known) log.warn({ providerId: news.providerId }, 'Stripe event for no known payment');
      return { received: true };
    },
  );
};
