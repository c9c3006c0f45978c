'use client';

import type { Order, OrderStatus } from '@gittix/api-types';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { sendJson } from '../lib/api-client';
import type { BusyWait } from '../lib/busy-retry';
import { remainingMs } from '../lib/countdown';
import { signInPath } from '../lib/next-path';
import { badgeState, orderState } from '../lib/order-status';
import type { PaymentOutcome } from '../lib/pay-order';
import { formatPrice } from '../lib/price';
import { BusyNotice } from './BusyNotice';
import { Countdown } from './Countdown';
import { EventLine, type TicketEvent } from './EventLine';
import { FormAlert } from './FormAlert';
import { OrderBadge } from './OrderBadge';
import styles from './OrderPanel.module.css';
import { SandboxPaymentForm } from './SandboxPaymentForm';
import { useClock } from './use-clock';
import { useErrorFocus } from './use-error-focus';

// Stripe.js is only downloaded when a publishable key is configured.
const StripePaymentForm = dynamic(() => import('./StripePaymentForm'), {
  ssr: false,
  loading: () => <div className={styles.stripeLoading}>Loading secure card form…</div>,
});

interface Props {
  order: Order;
  renderedAt: number;
  stripePublishableKey: string | null;
  /** Where the buyer downloads the ticket once paid; null while the seller has attached none. */
  ticketFileUrl?: string | null;
  /** The show the ticket is for; null for a ticket listed without an event. */
  event?: TicketEvent | null;
  /** The payment was refunded in full: the ticket is no longer the buyer's (no download). */
  refunded?: boolean;
  /** Dollars of the payment given back while the sale stands (partial refunds): the ticket stays theirs. */
  partlyRefunded?: number;
}

export function OrderPanel({
  order,
  renderedAt,
  stripePublishableKey,
  ticketFileUrl = null,
  event = null,
  refunded = false,
  partlyRefunded = 0,
}: Props) {
  const router = useRouter();
  const expiresAt = Date.parse(order.expiresAt);
  const now = useClock(renderedAt, expiresAt);
  // What this page learned since the server rendered it (a payment, a cancellation).
  const [localStatus, setLocalStatus] = useState<OrderStatus | null>(null);
  // A refused payment or cancellation is an alert that takes focus; a success is only announced.
  const [message, setMessage, panelRef] = useErrorFocus<{
    kind: 'error' | 'success';
    text: string;
  } | null>(null);
  const status = localStatus ?? order.status;
  const state = orderState({ status, expiresAt: order.expiresAt }, now);

  // Once time is up, ask the server a few times until the expiration service has cancelled it.
  useEffect(() => {
    if (state !== 'expired' || order.status === 'cancelled') return;
    let polls = 0;
    const timer = setInterval(() => {
      polls += 1;
      router.refresh();
      if (polls >= 10) clearInterval(timer);
    }, 3000);
    return () => clearInterval(timer);
  }, [state, order.status, router]);

  // Only the latest try's refusal shows: a new one clears what the last one said.
  function onPaymentAttempt() {
    if (message) setMessage(null);
  }

  function onPayment(outcome: PaymentOutcome) {
    if (outcome.ok) {
      setLocalStatus('complete');
      setMessage({ kind: 'success', text: 'Payment confirmed. The ticket is yours!' });
      router.refresh();
    } else if (outcome.signedOut) {
      window.location.assign(signInPath(`/orders/${order.id}`));
    } else {
      setMessage({ kind: 'error', text: outcome.message });
      if (!outcome.declined) router.refresh();
    }
  }

  // Cancelling may meet a busy GitTix and retry for a while: one call at a time, counting down.
  const [cancelling, setCancelling] = useState(false);
  const cancelInFlight = useRef(false);
  const [cancelBusy, setCancelBusy] = useState<BusyWait | null>(null);

  async function cancelOrder() {
    if (cancelInFlight.current) return;
    cancelInFlight.current = true;
    setCancelling(true);
    const result = await sendJson('DELETE', `/api/orders/${order.id}`, undefined, {
      onBusy: setCancelBusy,
    });
    cancelInFlight.current = false;
    setCancelBusy(null);
    setCancelling(false);
    if (result.ok) {
      setLocalStatus('cancelled');
      setMessage(null);
      router.refresh();
    } else {
      setMessage({ kind: 'error', text: result.errors.map((e) => e.message).join(' ') });
    }
  }

  return (
    <article ref={panelRef} className={`card ${styles.order}`} aria-labelledby="order-title">
      <header className={styles.head}>
        <div>
          <p className="muted">Order for</p>
          <h1 id="order-title" className={styles.title}>
            {order.ticket.title}
          </h1>
          {event && (
            <p className="muted">
              <EventLine event={event} />
            </p>
          )}
        </div>
        <div className={styles.meta}>
          <span className={`price ${styles.price}`}>{formatPrice(order.ticket.price)}</span>
          <span aria-live="polite">
            <span className="visually-hidden">Status: </span>
            <OrderBadge state={badgeState(state, refunded)} />
          </span>
        </div>
      </header>

      <FormAlert messages={message?.kind === 'error' ? [message.text] : []} />
      <div role="status" aria-live="polite" className={styles.message}>
        {message?.kind === 'success' && <p className="notice notice-success">{message.text}</p>}
      </div>

      {state === 'open' && (
        <section className={styles.pay} aria-label="Payment">
          <Countdown remainingMs={remainingMs(order.expiresAt, now)} />
          {stripePublishableKey ? (
            <StripePaymentForm
              publishableKey={stripePublishableKey}
              orderId={order.id}
              disabled={cancelling}
              onAttempt={onPaymentAttempt}
              onOutcome={onPayment}
            />
          ) : (
            <SandboxPaymentForm
              orderId={order.id}
              disabled={cancelling}
              onAttempt={onPaymentAttempt}
              onOutcome={onPayment}
            />
          )}
          <BusyNotice wait={cancelBusy} />
          <button
            type="button"
            className={styles.cancel}
            onClick={cancelOrder}
            disabled={cancelling}
            aria-busy={cancelling}
          >
            Cancel order and release the ticket
          </button>
        </section>
      )}

      {state === 'complete' && refunded && (
        <p className="notice">Your payment was refunded: this ticket is no longer yours.</p>
      )}
      {state === 'complete' && !refunded && !message && (
        <p className="notice notice-success">Paid. This ticket is yours.</p>
      )}
      {state === 'complete' && !refunded && partlyRefunded > 0 && (
        <p className="notice">
          {formatPrice(partlyRefunded)} of your {formatPrice(order.ticket.price)} payment was given
          back to you.
        </p>
      )}
      {state === 'complete' &&
        !refunded &&
        (ticketFileUrl ? (
          <a href={ticketFileUrl} className="button" download>
            Download ticket
          </a>
        ) : (
          <p className="muted">
            Your ticket's download will be under <Link href="/tickets/purchased">My tickets</Link>{' '}
            as soon as the seller has attached it.
          </p>
        ))}
      {state === 'expired' && (
        <div className="notice notice-error">
          <p className={styles.flush}>
            <strong>Time ran out.</strong> The order wasn't paid in time, so the ticket went back on
            sale.
          </p>
        </div>
      )}
      {state === 'cancelled' && (
        <p className="notice">This order was cancelled and the ticket went back on sale.</p>
      )}

      <nav aria-label="More" className={styles.links}>
        <Link href={`/tickets/${order.ticket.id}`}>View the ticket</Link>
        <Link href="/orders">All your orders</Link>
      </nav>
    </article>
  );
}
