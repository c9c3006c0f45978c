'use client';

import { CardElement, Elements, useElements, useStripe } from '@stripe/react-stripe-js';
import { loadStripe, type Stripe } from '@stripe/stripe-js';
import { type FormEvent, useState } from 'react';
import type { BusyWait } from '../lib/busy-retry';
import { type PaymentOutcome, payOrder } from '../lib/pay-order';
import { BusyNotice } from './BusyNotice';
import styles from './StripePaymentForm.module.css';
import { useErrorFocus } from './use-error-focus';

interface Props {
  publishableKey: string;
  orderId: string;
  disabled: boolean;
  /** Told as each try starts, so what an earlier one said stops showing. */
  onAttempt: () => void;
  onOutcome: (outcome: PaymentOutcome) => void;
}

const stripeByKey = new Map<string, Promise<Stripe | null>>();

function stripeFor(key: string): Promise<Stripe | null> {
  let stripe = stripeByKey.get(key);
  if (!stripe) {
    stripe = loadStripe(key);
    stripeByKey.set(key, stripe);
  }
  return stripe;
}

/** Live mode: Stripe's own card element; only a single-use token leaves the browser. */
export default function StripePaymentForm({ publishableKey, ...props }: Props) {
  return (
    <Elements stripe={stripeFor(publishableKey)}>
      <CardForm {...props} />
    </Elements>
  );
}

function CardForm({ orderId, disabled, onAttempt, onOutcome }: Omit<Props, 'publishableKey'>) {
  const stripe = useStripe();
  const elements = useElements();
  const [cardError, setCardError, formRef] = useErrorFocus<string | undefined>(undefined);
  const [pending, setPending] = useState(false);
  // On a rush GitTix may refuse as busy: the payment retries by itself, counting down.
  const [busy, setBusy] = useState<BusyWait | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const card = elements?.getElement(CardElement);
    if (!stripe || !card) return;
    onAttempt();
    setCardError(undefined);
    setPending(true);
    const { token, error } = await stripe.createToken(card);
    if (error || !token) {
      setCardError(error?.message ?? 'Check your card details.');
      setPending(false);
      return;
    }
    const outcome = await payOrder(orderId, token.id, { onBusy: setBusy });
    setBusy(null);
    setPending(false);
    onOutcome(outcome);
  }

  return (
    // POST, so a submit that beats hydration never puts what was typed into the URL.
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <fieldset className={`field ${styles.fieldset}`}>
        <legend className={styles.label}>Card details</legend>
        <div className={styles.card}>
          <CardElement options={{ hidePostalCode: true, style: { base: { fontSize: '16px' } } }} />
        </div>
        {/* Stripe's card field is in its iframe, out of reach: focus goes to its message instead. */}
        <div role="alert" tabIndex={-1}>
          {cardError && <p className="field-error">{cardError}</p>}
        </div>
      </fieldset>
      <BusyNotice wait={busy} />
      <button
        type="submit"
        className="button button-block"
        disabled={disabled || pending || !stripe}
        aria-busy={pending}
      >
        Pay
      </button>
    </form>
  );
}
