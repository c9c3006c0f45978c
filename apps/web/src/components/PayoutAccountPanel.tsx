'use client';

import { useState } from 'react';
import { sendJson } from '../lib/api-client';
import { navigateTo } from '../lib/navigate';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

export type PayoutAccountStatus = 'none' | 'pending' | 'enabled';

const TEXT: Record<PayoutAccountStatus, { say: string; button?: string }> = {
  none: {
    say: 'Connect a Stripe account to receive your payouts.',
    button: 'Connect payout account',
  },
  pending: {
    say: 'Your payout account is not ready yet: finish setting it up with Stripe.',
    button: 'Finish setting up payout account',
  },
  enabled: { say: 'Payout account connected: your payouts go to your Stripe account.' },
};

/**
 * Stripe mode: where payouts go. The button asks for a fresh onboarding link (they
 * are single use) and leaves for Stripe, which sends the seller back to /payouts.
 */
export function PayoutAccountPanel({ status }: { status: PayoutAccountStatus }) {
  const [pending, setPending] = useState(false);
  const [messages, setMessages, ref] = useErrorFocus<string[]>([]);
  const text = TEXT[status];

  async function connect() {
    setPending(true);
    setMessages([]);
    const result = await sendJson<{ onboardingUrl: string }>('POST', '/api/payouts/account');
    if (result.ok) {
      navigateTo(result.data.onboardingUrl);
      return;
    }
    setPending(false);
    if (result.status === 401) {
      navigateTo('/auth/signin?next=%2Fpayouts');
      return;
    }
    setMessages(result.errors.map((e) => e.message));
  }

  return (
    <div ref={ref} className="form">
      <FormAlert messages={messages} />
      <p className={status === 'enabled' ? 'notice notice-success' : 'muted'}>{text.say}</p>
      {text.button && (
        <button
          type="button"
          className="button button-block"
          onClick={connect}
          disabled={pending}
          aria-busy={pending}
        >
          {text.button}
        </button>
      )}
    </div>
  );
}
