import type { ReactNode } from 'react';
import { vi } from 'vitest';

/** A fetch stand-in that answers every call with `status` and `body` as JSON. */
export function answer(status: number, body: unknown) {
  return vi.fn().mockResolvedValue(new Response(JSON.stringify(body), { status }));
}

/** A fetch stand-in that answers every call 204, without a body (an upload taken). */
export function noContent() {
  return vi.fn().mockResolvedValue(new Response(null, { status: 204 }));
}

/**
 * Stripe.js itself comes from js.stripe.com: the tests decide what loading it and
 * tokenizing a card give. A test file wires it in with
 * `vi.mock('@stripe/stripe-js', () => import('./stand-ins').then((s) => s.stripeJs))`
 * (and the same for `reactStripeJs`), then sets `stripe.createToken`'s answers.
 */
export const stripe = { loadStripe: vi.fn(), createToken: vi.fn() };

export const stripeJs = { loadStripe: stripe.loadStripe };

export const reactStripeJs = {
  Elements: ({ children }: { children: ReactNode }) => children,
  CardElement: () => <div data-testid="stripe-card" />,
  useStripe: () => ({ createToken: stripe.createToken }),
  useElements: () => ({ getElement: () => ({}) }),
};
