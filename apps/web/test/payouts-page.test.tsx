// @vitest-environment jsdom
import type { CurrentUser } from '@gittix/api-types';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import PayoutsPage from '../src/app/payouts/page';

// `Request payout` keeps that exact name (API.md); why it can't be pressed yet is its
// description, so a screen reader hears the reason with the button.

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: vi.fn(), push: vi.fn() }) }));

// The page reads through the gateway on the server: each test decides what it answers.
const gateway = vi.hoisted(() => ({
  user: null as unknown as CurrentUser,
  answers: {} as Record<string, unknown>,
}));
vi.mock('../src/lib/gateway', () => ({
  requireUser: async () => gateway.user,
  loadOrRedirect: async (path: string) => gateway.answers[path],
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const refusal = (status: number, message: string) =>
  vi.fn().mockResolvedValue(new Response(JSON.stringify({ errors: [{ message }] }), { status }));

async function renderPayouts({
  available,
  pending = 0,
  emailVerified = true,
  account = { required: false, status: 'none' },
}: {
  available: number;
  pending?: number;
  emailVerified?: boolean;
  account?: { required: boolean; status: 'none' | 'pending' | 'enabled' };
}) {
  gateway.user = { id: 'seller-1', email: 'seller@example.test', emailVerified };
  gateway.answers = {
    '/api/payouts/balance': { pending, available, paidOut: 0 },
    '/api/payouts': [],
    '/api/payouts/account': account,
  };
  render(await PayoutsPage());
  return screen.getByRole('button', { name: 'Request payout' }) as HTMLButtonElement;
}

const description = (button: HTMLElement) =>
  (button.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent)
    .join(' ');

describe('the payouts page', () => {
  it('when nothing is available yet, then "Request payout" is disabled and described by why', async () => {
    const button = await renderPayouts({ available: 0, pending: 36 });
    expect(button.disabled).toBe(true);
    expect(description(button)).toMatch(/Nothing is available to pay out yet/);
  });

  it('when the email is not verified, then "Request payout" can still be pressed: the API says why it refuses (API.md)', async () => {
    const button = await renderPayouts({ available: 36, emailVerified: false });
    expect(button.disabled).toBe(false);
    expect(screen.queryByText(/Verify your email first/)).toBeNull();
  });

  it('when the API refuses an unverified seller, then the alert takes focus and links to the account page, where the email is resent', async () => {
    vi.stubGlobal('fetch', refusal(403, 'Verify your email first'));
    const button = await renderPayouts({ available: 36, emailVerified: false });
    fireEvent.click(button);

    const alert = screen.getByRole('alert');
    await vi.waitFor(() => expect(document.activeElement).toBe(alert));
    expect(alert.textContent).toContain('Verify your email first');
    const link = screen.getByRole('link', { name: /verification email/ });
    expect(alert.contains(link)).toBe(true);
    expect(link.getAttribute('href')).toBe('/account');
  });

  it('when the API refuses for another reason, then the alert offers no account link', async () => {
    vi.stubGlobal('fetch', refusal(400, 'Nothing to pay out'));
    fireEvent.click(await renderPayouts({ available: 36 }));

    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('Nothing to pay out'),
    );
    expect(screen.queryByRole('link')).toBeNull();
  });

  it('when the payout account is not connected, then the button is described by that', async () => {
    const button = await renderPayouts({
      available: 36,
      account: { required: true, status: 'none' },
    });
    expect(button.disabled).toBe(true);
    expect(description(button)).toBe('Connect your payout account first.');
  });

  it('when a payout is made, then its confirmation fills a status region that was already there', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(new Response(JSON.stringify({ amount: 36 }), { status: 201 })),
    );
    const button = await renderPayouts({ available: 36 });
    const region = screen.getByRole('status');
    expect(region.textContent).toBe('');
    fireEvent.click(button);
    await vi.waitFor(() => expect(region.textContent).toBe('$36.00 is on its way to you.'));
    expect(region.isConnected).toBe(true);
  });

  it('when money is available to a verified seller, then the button can be pressed and needs no reason', async () => {
    const button = await renderPayouts({ available: 36 });
    expect(button.disabled).toBe(false);
    expect(button.getAttribute('aria-describedby')).toBeNull();
  });
});
