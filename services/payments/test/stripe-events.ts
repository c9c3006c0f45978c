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
