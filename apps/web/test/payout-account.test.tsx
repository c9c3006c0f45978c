// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PayoutAccountPanel } from '../src/components/PayoutAccountPanel';
import { RequestPayoutButton } from '../src/components/RequestPayoutButton';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: vi.fn(), push: vi.fn() }) }));
const navigation = vi.hoisted(() => ({ navigateTo: vi.fn() }));
vi.mock('../src/lib/navigate', () => navigation);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  navigation.navigateTo.mockReset();
});

const answer = (status: number, body: unknown) =>
  vi.fn().mockResolvedValue(new Response(JSON.stringify(body), { status }));

describe('the payout account panel (Stripe mode on /payouts)', () => {
  it('when no account is connected, then "Connect payout account" asks for an onboarding link and goes to it', async () => {
    const onboardingUrl = 'https://connect.stripe.com/setup/e/acct_1/abc';
    const fetch = answer(200, { required: true, status: 'pending', onboardingUrl });
    vi.stubGlobal('fetch', fetch);
    render(<PayoutAccountPanel status="none" />);

    expect(screen.getByText('Connect a Stripe account to receive your payouts.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Connect payout account' }));
    await vi.waitFor(() => expect(navigation.navigateTo).toHaveBeenCalledWith(onboardingUrl));
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect([path, init.method]).toEqual(['/api/payouts/account', 'POST']);
  });

  it('when onboarding is not finished, then the button says so; when the API refuses, its message is shown and nobody leaves', async () => {
    vi.stubGlobal('fetch', answer(403, { errors: [{ message: 'Verify your email first' }] }));
    render(<PayoutAccountPanel status="pending" />);
    fireEvent.click(screen.getByRole('button', { name: 'Finish setting up payout account' }));
    expect(await screen.findByText('Verify your email first')).toBeTruthy();
    expect(navigation.navigateTo).not.toHaveBeenCalled();
  });

  it('when the account is enabled, then it says payouts go there and offers no button', () => {
    render(<PayoutAccountPanel status="enabled" />);
    expect(screen.getByText(/Payout account connected/)).toBeTruthy();
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('when payouts are blocked (no enabled account), then "Request payout" is disabled even with money available', () => {
    render(<RequestPayoutButton available={36} blocked />);
    const button = screen.getByRole('button', { name: 'Request payout' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByText('Connect your payout account first.')).toBeTruthy();
  });
});
