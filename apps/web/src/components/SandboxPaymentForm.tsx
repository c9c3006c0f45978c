'use client';

import { type FormEvent, useState } from 'react';
import type { BusyWait } from '../lib/busy-retry';
import { sandboxTokenFor, TEST_CARDS } from '../lib/card-token';
import { type PaymentOutcome, payOrder } from '../lib/pay-order';
import { BusyNotice } from './BusyNotice';
import { Field } from './Field';
import { useErrorFocus } from './use-error-focus';

interface Props {
  orderId: string;
  disabled: boolean;
  /** Told as each try starts, so what an earlier one said stops showing. */
  onAttempt: () => void;
  onOutcome: (outcome: PaymentOutcome) => void;
}

/** Test mode: a plain card-number field that maps Stripe's test cards to their tokens. */
export function SandboxPaymentForm({ orderId, disabled, onAttempt, onOutcome }: Props) {
  const [cardError, setCardError, formRef] = useErrorFocus<string | undefined>(undefined);
  const [pending, setPending] = useState(false);
  // On a rush GitTix may refuse as busy: the payment retries by itself, counting down.
  const [busy, setBusy] = useState<BusyWait | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onAttempt();
    const card = sandboxTokenFor(String(new FormData(event.currentTarget).get('card') ?? ''));
    if (!card.ok) {
      setCardError(card.message);
      return;
    }
    setCardError(undefined);
    setPending(true);
    const outcome = await payOrder(orderId, card.token, { onBusy: setBusy });
    setBusy(null);
    setPending(false);
    onOutcome(outcome);
  }

  return (
    // POST, so a submit that beats hydration never puts what was typed into the URL.
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <Field
        id="card"
        name="card"
        label="Card number"
        inputMode="numeric"
        autoComplete="cc-number"
        placeholder="1234 1234 1234 1234"
        maxLength={23}
        spellCheck={false}
        hint={`Test mode: ${TEST_CARDS.succeeds} succeeds, ${TEST_CARDS.declined} is refused.`}
        error={cardError}
        className="card-input"
      />
      <BusyNotice wait={busy} />
      <button
        type="submit"
        className="button button-block"
        disabled={disabled || pending}
        aria-busy={pending}
      >
        Pay
      </button>
    </form>
  );
}
