'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { sendJson } from '../lib/api-client';
import { formatPrice } from '../lib/price';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

/** POST /api/payouts, then the page reloads its balance; refusals are shown as they come. */
export function RequestPayoutButton({
  available,
  blocked = false,
}: {
  available: number;
  /** No enabled payout account yet (Stripe): nothing can be paid out. */
  blocked?: boolean;
}) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [messages, setMessages, ref] = useErrorFocus<string[]>([]);
  const [done, setDone] = useState<string | null>(null);

  async function request() {
    setPending(true);
    setMessages([]);
    const result = await sendJson<{ amount: number }>('POST', '/api/payouts');
    setPending(false);
    if (result.ok) {
      setDone(`${formatPrice(result.data.amount)} is on its way to you.`);
      router.refresh();
      return;
    }
    if (result.status === 401) {
      window.location.assign('/auth/signin?next=%2Fpayouts');
      return;
    }
    setMessages(result.errors.map((e) => e.message));
  }

  return (
    <div ref={ref} className="form">
      <FormAlert messages={messages} />
      {done && (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      )}
      {blocked && <p className="muted">Connect your payout account first.</p>}
      <button
        type="button"
        className="button button-block"
        onClick={request}
        disabled={pending || blocked || available <= 0}
        aria-busy={pending}
      >
        Request payout
      </button>
    </div>
  );
}
