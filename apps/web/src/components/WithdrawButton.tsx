'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { sendJson } from '../lib/api-client';
import { signInPath } from '../lib/next-path';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

/**
 * Takes the seller's listing off sale (DELETE /api/tickets/:id), then shows it as it is now.
 * Named `Withdraw` exactly; `describedBy` names the element holding the listing's title,
 * so a screen reader still hears which one.
 */
export function WithdrawButton({
  ticketId,
  describedBy,
}: {
  ticketId: string;
  describedBy: string;
}) {
  const router = useRouter();
  const [errors, setErrors, ref] = useErrorFocus<string[]>([]);
  const [pending, setPending] = useState(false);

  async function withdraw() {
    setPending(true);
    setErrors([]);
    const result = await sendJson<null>('DELETE', `/api/tickets/${ticketId}`);
    if (result.status === 401) {
      window.location.assign(signInPath(window.location.pathname));
      return;
    }
    if (!result.ok) setErrors(result.errors.map((e) => e.message));
    setPending(false);
    // Withdrawn, or reserved meanwhile (the refusal says so): show the listing as it is.
    router.refresh();
  }

  return (
    <div ref={ref} className="stack">
      <FormAlert messages={errors} />
      <button
        type="button"
        className="button button-secondary"
        onClick={withdraw}
        disabled={pending}
        aria-busy={pending}
        aria-describedby={describedBy}
      >
        Withdraw
      </button>
    </div>
  );
}
