import type { CurrentUser, Order, Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { cache } from 'react';
import { EventLine } from '../../../components/EventLine';
import { PurchaseButton } from '../../../components/PurchaseButton';
import { TicketBadge } from '../../../components/TicketBadge';
import { TicketFileForm } from '../../../components/TicketFileForm';
import { WithdrawButton } from '../../../components/WithdrawButton';
import { gatewayGet, getCurrentUser, loadOrRedirect } from '../../../lib/gateway';
import { formatPrice } from '../../../lib/price';
import { eventHasStarted, ticketState } from '../../../lib/ticket-status';
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

/**
 * The visitor's own order for this ticket, if there is one: orders answers 404 for
 * anyone else's, so asking tells a stranger nothing. Without it the buyer who holds
 * (or bought) the ticket would read that it is on hold for (or sold to) someone else.
 */
async function ownOrder(ticket: Ticket, user: CurrentUser | null): Promise<Order | null> {
  const taken = ticket.status === 'reserved' || ticket.status === 'sold';
  if (!user || !taken || !ticket.orderId || user.id === ticket.userId) return null;
  const order = await gatewayGet<Order>(`/api/orders/${encodeURIComponent(ticket.orderId)}`).catch(
    () => null,
  );
  return order?.data?.userId === user.id ? order.data : null;
}

/** What the buyer of a sold ticket needs next: the file, or word of when it comes. */
function BoughtNotice({ ticket }: { ticket: Ticket }) {
  return (
    <>
      <p className="notice notice-success">
        You bought this ticket.{' '}
        {ticket.hasFile
          ? 'Download it to get in.'
          : "The seller hasn't attached its file yet: we'll email you when it comes."}
      </p>
      {ticket.hasFile && (
        // A plain link: the file comes as an attachment, never shown inside the site.
        <a
          href={`/api/tickets/${ticket.id}/file`}
          className="button button-block"
          download
          aria-describedby="ticket-title"
        >
          Download ticket
        </a>
      )}
    </>
  );
}

export default async function TicketPage({ params }: TicketProps) {
  const { id } = await params;
  const [ticket, user] = await Promise.all([loadTicket(id), getCurrentUser()]);
  const order = await ownOrder(ticket, user);
  const isSeller = user?.id === ticket.userId;
  const { status } = ticket;
  const open = order !== null && order.status !== 'cancelled' && order.status !== 'complete';
  const held = status === 'reserved' && open ? order : null;
  // Sold on the caller's own order: theirs, even while orders still catches up on the payment.
  const bought = status === 'sold' && order !== null && order.status !== 'cancelled';
  const now = Date.now();
  const started = eventHasStarted(ticket, now);
  const forSale = status === 'available' && !started;
  // Bought or held: the listing is fixed, but its file can still come until the event starts.
  const fileOnly = isSeller && (status === 'sold' || status === 'reserved') && !started;

  return (
    <article className={`card ${styles.ticket}`} aria-labelledby="ticket-title">
      <div className={styles.summary}>
        <p className={styles.eyebrow}>
          <TicketBadge status={ticketState(ticket, now)} />
          {isSeller && <span className="badge badge-brand">Your listing</span>}
        </p>
        <h1 id="ticket-title" className={styles.title}>
          {ticket.title}
        </h1>
        {ticket.event && (
          <p className="muted">
            <EventLine event={ticket.event} />
          </p>
        )}
        <p className={`price ${styles.price}`}>{formatPrice(ticket.price)}</p>
      </div>

      <div className={styles.actions}>
        {isSeller && forSale && (
          <>
            <Link
              href={`/tickets/${ticket.id}/edit`}
              className="button button-secondary button-block"
            >
              Edit
            </Link>
            <WithdrawButton ticketId={ticket.id} describedBy="ticket-title" />
            <p className="field-hint">
              {ticket.hasFile
                ? 'Your ticket file is attached: the buyer can download it once they pay.'
                : 'No ticket file yet: attach it with Edit, now or after the sale.'}
            </p>
          </>
        )}
        {isSeller && status === 'reserved' && (
          <p className="notice notice-warning">
            A buyer's order holds this ticket, so only its file can be attached. Once they pay, it's
            sold.
          </p>
        )}
        {bought && <BoughtNotice ticket={ticket} />}
        {status === 'sold' && !bought && (
          <p className="notice notice-success">
            {isSeller
              ? 'Sold: a buyer has paid for this ticket.'
              : 'Sold: this ticket has found its buyer.'}
          </p>
        )}
        {fileOnly && <TicketFileForm ticket={ticket} />}
        {status === 'withdrawn' && (
          <p className="notice notice-warning">
            {isSeller
              ? 'You withdrew this listing: buyers can no longer find or buy it.'
              : 'The seller has taken this ticket off sale.'}
          </p>
        )}
        {held && (
          <p className="notice notice-success">
            You're holding this ticket. <Link href={`/orders/${held.id}`}>Pay for it</Link> before
            your hold ends.
          </p>
        )}
        {!isSeller && !held && status === 'reserved' && (
          <p className="notice notice-warning">
            On hold for another buyer. If they don't pay in time, it comes back on sale.
          </p>
        )}
        {status === 'available' && started && (
          <p className="notice notice-warning">
            The event has started: this ticket is no longer on sale.
          </p>
        )}
        {!isSeller && (
          // Here whether or not it is on sale: a refused purchase's message must outlive
          // the refresh that shows the ticket taken (the same element keeps its state).
          <PurchaseButton ticketId={ticket.id} signedIn={user !== null} onSale={forSale} />
        )}
        {!isSeller && forSale && (
          <p className="field-hint">
            {user
              ? 'You get a few minutes to pay once you reserve it.'
              : "You'll be asked to sign in first."}
          </p>
        )}
        <Link href="/" className={styles.back}>
          ← All tickets
        </Link>
      </div>
    </article>
  );
}
