'use client';

import type { Order } from '@gittix/api-types';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { sendJson } from '../lib/api-client';
import { signInPath } from '../lib/next-path';
import { FormAlert } from './FormAlert';

/** Reserves the ticket with a new order and opens it; a signed-out visitor signs in first. */
export function PurchaseButton({ ticketId, signedIn }: { ticketId: string; signedIn: boolean }) {
  const router = useRouter();
  const [errors, setErrors] = useState<string[]>([]);
  const [pending, setPending] = useState(false);
  const here = `/tickets/${ticketId}`;

  async function purchase() {
    if (!signedIn) {
      router.push(signInPath(here));
      return;
    }
    setPending(true);
    setErrors([]);
    const result = await sendJson<Order>('POST', '/api/orders', { ticketId });
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

  return (
    <div className="stack">
      <FormAlert messages={errors} />
      <button
        type="button"
        className="button button-block"
        onClick={purchase}
        disabled={pending}
        aria-busy={pending}
      >
        Purchase
      </button>
    </div>
  );
}
