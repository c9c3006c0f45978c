// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OrderPanel } from '../src/components/OrderPanel';
import { stripe } from './stand-ins';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: vi.fn(), push: vi.fn() }) }));

// Stripe.js and its React parts: stand-ins whose tokenizing each test decides.
vi.mock('@stripe/stripe-js', () => import('./stand-ins').then((s) => s.stripeJs));
vi.mock('@stripe/react-stripe-js', () => import('./stand-ins').then((s) => s.reactStripeJs));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const order = {
  id: 'order-1',
  userId: 'buyer-1',
  status: 'created' as const,
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  version: 0,
  ticket: { id: 'ticket-1', title: 'Arctic Monkeys', price: 35.5 },
};

describe('when a Stripe publishable key is configured', () => {
  it("then Stripe's card element replaces the test-card field and its token pays the order", async () => {
    stripe.createToken.mockResolvedValue({ token: { id: 'tok_from_stripe' } });
    const fetch = vi.fn().mockResolvedValue(
      new Response(
        JSON.stringify({ id: 'p1', orderId: 'order-1', amount: 35.5, providerId: 'ch' }),
        {
          status: 201,
        },
      ),
    );
    vi.stubGlobal('fetch', fetch);
    render(<OrderPanel order={order} renderedAt={Date.now()} stripePublishableKey="pk_test_123" />);

    expect(await screen.findByTestId('stripe-card')).toBeTruthy();
    expect(screen.queryByLabelText('Card number')).toBeNull();
    expect(stripe.loadStripe).toHaveBeenCalledWith('pk_test_123');

    fireEvent.click(screen.getByRole('button', { name: 'Pay' }));
    expect(await screen.findByText(/Payment confirmed/)).toBeTruthy();
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ orderId: 'order-1', token: 'tok_from_stripe' });
  });
});
