'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { sendJson } from '../lib/api-client';
import { formatPrice } from '../lib/price';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

interface PayoutState {
  available: number;
  /** No enabled payout account yet (Stripe): nothing can be paid out. */
  blocked?: boolean;
}

/**
 * Why the button is disabled, said next to it; null when it can be pressed. An
 * unverified email is not among them: the button stays pressable and the API's own
 * refusal (`Verify your email first`) is shown, as API.md's payouts route words it.
 */
function notYet({ available, blocked }: PayoutState): string | null {
  if (blocked) return 'Connect your payout account first.';
  if (available <= 0) return 'Nothing is available to pay out yet.';
  return null;
}

/**
 * POST /api/payouts, then the page reloads its balance; refusals are shown as they
 * come, an unverified email's with a link to where the verification email is resent.
 */
export function RequestPayoutButton(state: PayoutState) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [messages, setMessages, ref] = useErrorFocus<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  // The one 403 (`Verify your email first`): the way forward is on the account page.
  const [unverified, setUnverified] = useState(false);
  const reason = notYet(state);

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
    setUnverified(result.status === 403);
    setMessages(result.errors.map((e) => e.message));
  }

  return (
    <div ref={ref} className="form">
      <FormAlert
        messages={messages}
        action={
          unverified && <Link href="/account">Resend the verification email from your account</Link>
        }
      />
      {/* There before it is filled, so the payout's confirmation is announced. */}
      <div role="status">{done && <p className="notice notice-success">{done}</p>}</div>
      {reason && (
        <p id="payout-not-yet" className="muted">
          {reason}
        </p>
      )}
      <button
        type="button"
        className="button button-block"
        onClick={request}
        disabled={pending || reason !== null}
        aria-busy={pending}
        aria-describedby={reason ? 'payout-not-yet' : undefined}
      >
        Request payout
      </button>
    </div>
  );
}
