import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';

/** A Stripe event about `object`, as Stripe's webhook sends it (the JSON body). */
export function stripeEvent(
  type: string,
  object: object,
  { created = Math.floor(Date.now() / 1000), livemode = false } = {},
): string {
  return JSON.stringify({
    id: `evt_${randomUUID()}`,
    object: 'event',
    type,
    api_version: '2025-01-01',
    created,
    data: { object },
    livemode,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
  });
}

/** The `stripe-signature` header Stripe would send with `payload`, signed with `secret`. */
export const signStripe = (payload: string, secret: string) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret });

/** Posts `payload` to payments' Stripe webhook, with `signature` when given. */
export const postStripeWebhook = (app: FastifyInstance, payload: string, signature?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/payments/webhooks/stripe',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'stripe-signature': signature }),
    },
    payload,
  });

/** A signed Stripe event of `type` about `object`, delivered to the webhook. */
export function deliverStripeEvent(
  app: FastifyInstance,
  secret: string,
  type: string,
  object: object,
) {
  const payload = stripeEvent(type, object);
  return postStripeWebhook(app, payload, signStripe(payload, secret));
}

/** A PaymentIntent as the Stripe stand-in holds it (`standIn.intents`). */
interface StandInIntent {
  id: string;
  amount: number;
  latest_charge?: unknown;
  metadata: Record<string, string>;
  refunds: Array<Record<string, unknown>>;
}

/**
 * The charge of a stand-in PaymentIntent as Stripe's `charge.*` events carry it. Since
 * API 2022-11-15 a Charge lists its `refunds` only when expanded, and an event's object
 * is never expanded: the refunds are not there.
 */
export function chargeInEvent(intent: StandInIntent) {
  const refunded = intent.refunds.reduce((sum, refund) => sum + Number(refund.amount), 0);
  return {
    id: intent.latest_charge,
    object: 'charge',
    payment_intent: intent.id,
    amount: intent.amount,
    amount_refunded: refunded,
    refunded: refunded > 0 && refunded >= intent.amount,
    metadata: intent.metadata,
  };
}
