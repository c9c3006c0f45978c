import type { Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { cache } from 'react';
import { PurchaseButton } from '../../../components/PurchaseButton';
import { getCurrentUser, loadOrRedirect } from '../../../lib/gateway';
import { formatPrice } from '../../../lib/price';
import styles from './ticket.module.css';

interface TicketProps {
  params: Promise<{ id: string }>;
}

// Metadata and page both need it; one request serves both.
const loadTicket = cache(
  (id: string): Promise<Ticket> =>
    loadOrRedirect<Ticket>(`/api/tickets/${encodeURIComponent(id)}`, `/tickets/${id}`),
);

export async function generateMetadata({ params }: TicketProps): Promise<Metadata> {
  const ticket = await loadTicket((await params).id);
  return { title: ticket.title };
}

export default async function TicketPage({ params }: TicketProps) {
  const { id } = await params;
  const [ticket, user] = await Promise.all([loadTicket(id), getCurrentUser()]);
  const isSeller = user?.id === ticket.userId;
  const reserved = ticket.orderId !== null;

  return (
    <article className={`card ${styles.ticket}`} aria-labelledby="ticket-title">
      <div className={styles.summary}>
        <p className={styles.eyebrow}>
          {reserved ? (
            <span className="badge badge-warning">Reserved</span>
          ) : (
            <span className="badge badge-success">Available</span>
          )}
          {isSeller && <span className="badge badge-brand">Your listing</span>}
        </p>
        <h1 id="ticket-title" className={styles.title}>
          {ticket.title}
        </h1>
        <p className={`price ${styles.price}`}>{formatPrice(ticket.price)}</p>
      </div>

      <div className={styles.actions}>
        {isSeller && !reserved && (
          <Link
            href={`/tickets/${ticket.id}/edit`}
            className="button button-secondary button-block"
          >
            Edit
          </Link>
        )}
        {isSeller && reserved && (
          <p className="notice notice-warning">
            A buyer's order holds this ticket, so it can't be changed. Once they pay, it's sold.
          </p>
        )}
        {!isSeller && reserved && (
          <p className="notice notice-warning">
            Sold, or on hold for another buyer. If they don't pay in time, it comes back on sale.
          </p>
        )}
        {!isSeller && !reserved && (
          <>
            <PurchaseButton ticketId={ticket.id} signedIn={user !== null} />
            <p className="field-hint">
              {user
                ? 'You get a few minutes to pay once you reserve it.'
                : "You'll be asked to sign in first."}
            </p>
          </>
        )}
        <Link href="/" className={styles.back}>
          ← All tickets
        </Link>
      </div>
    </article>
  );
}
