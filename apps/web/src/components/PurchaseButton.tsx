'use client';

import type { Order } from '@gittix/api-types';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { sendJson } from '../lib/api-client';
import type { BusyWait } from '../lib/busy-retry';
import { signInPath } from '../lib/next-path';
import { BusyNotice } from './BusyNotice';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

interface PurchaseButtonProps {
  ticketId: string;
  signedIn: boolean;
  /**
   * Whether the ticket can be bought now. The page keeps this component mounted when
   * it cannot: a refusal ("Ticket is already reserved") stays shown, and focused, after
   * the refresh that shows the ticket's new status; only the button goes.
   */
  onSale?: boolean;
}

/** Reserves the ticket with a new order and opens it; a signed-out visitor signs in first. */
export function PurchaseButton({ ticketId, signedIn, onSale = true }: PurchaseButtonProps) {
  const router = useRouter();
  const [errors, setErrors, ref] = useErrorFocus<string[]>([]);
  const [pending, setPending] = useState(false);
  // On an on-sale rush GitTix may refuse as busy: the button retries by itself, counting down.
  const [busy, setBusy] = useState<BusyWait | null>(null);
  const here = `/tickets/${ticketId}`;

  async function purchase() {
    if (!signedIn) {
      router.push(signInPath(here));
      return;
    }
    setPending(true);
    setErrors([]);
    const result = await sendJson<Order>('POST', '/api/orders', { ticketId }, { onBusy: setBusy });
    if (result.ok) {
      router.push(`/orders/${result.data.id}`);
      return;
    }
    if (result.status === 401) {
      window.location.assign(signInPath(here));
      return;
    }
    setErrors(result.errors.map((e) => e.message));
    setPending(false);
    // Someone else may have reserved it meanwhile: show the ticket as it is now.
    router.refresh();
  }

  if (!onSale && errors.length === 0) return null;
  return (
    <div ref={ref} className="stack">
      <FormAlert messages={errors} />
      {onSale && (
        <>
          <BusyNotice wait={busy} />
          <button
            type="button"
            className="button button-block"
            onClick={purchase}
            disabled={pending}
            aria-busy={pending}
          >
            Purchase
          </button>
        </>
      )}
    </div>
  );
}
