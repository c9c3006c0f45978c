import type { PurchasedTicket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { EventLine } from '../../../../components/EventLine';
import { gatewayError, gatewayGet, requireUser } from '../../../../lib/gateway';
import { formatPrice } from '../../../../lib/price';
import { refundsByOrder } from '../../../../lib/refunds';
import styles from '../../listing.module.css';

export const metadata: Metadata = { title: 'My tickets' };

/**
 * The tickets the caller bought, each with its download once the seller attached it;
 * a refunded one says so and has none (the API refuses it: the ticket is not theirs);
 * one whose payment was given back in part says how much (the ticket stays theirs).
 */
export default async function PurchasedTicketsPage() {
  await requireUser('/tickets/purchased');
  const path = '/api/tickets/purchased';
  const [response, refunds] = await Promise.all([
    gatewayGet<PurchasedTicket[]>(path),
    refundsByOrder(),
  ]);
  if (!response.data) throw gatewayError(response, path);
  const tickets = response.data;
  /** Dollars given back while the sale stands, for a ticket not refunded in full. */
  const partBack = (ticket: PurchasedTicket) => {
    const refund = ticket.orderId ? refunds.get(ticket.orderId) : undefined;
    return !ticket.refundedAt && refund && !refund.whole ? refund.amount : 0;
  };

  return (
    <>
      <div className="page-header">
        <div>
          <h1>My tickets</h1>
          <p className="muted">Tickets you bought. Download each one to get in.</p>
        </div>
      </div>
      {tickets.length === 0 ? (
        <div className="card empty-state">
          <h2>You haven't bought a ticket yet</h2>
          <p className="muted">
            <Link href="/">Find one for your next show.</Link>
          </p>
        </div>
      ) : (
        <ul className={styles.list}>
          {tickets.map((ticket) => (
            <li key={ticket.id} className={styles.row}>
              <span className={styles.title}>
                <Link href={`/tickets/${ticket.id}`} id={`purchased-${ticket.id}-title`}>
                  {ticket.title}
                </Link>
                {ticket.event && (
                  <span className={styles.detail}>
                    <EventLine event={ticket.event} />
                  </span>
                )}
                {ticket.refundedAt && (
                  <span className={styles.detail} id={`purchased-${ticket.id}-refund`}>
                    Your payment was refunded: this ticket is no longer yours.
                  </span>
                )}
                {partBack(ticket) > 0 && (
                  <span className={styles.detail}>
                    {formatPrice(partBack(ticket))} of your payment was given back to you.
                  </span>
                )}
              </span>
              <span className={`price ${styles.price}`}>{formatPrice(ticket.price)}</span>
              {ticket.refundedAt ? (
                <span className="badge" aria-describedby={`purchased-${ticket.id}-refund`}>
                  Refunded
                </span>
              ) : ticket.hasFile ? (
                // A plain link: the file comes as an attachment, never shown inside the site.
                // Named `Download ticket` exactly; which ticket is its description.
                <a
                  href={`/api/tickets/${ticket.id}/file`}
                  className="button button-secondary"
                  download
                  aria-describedby={`purchased-${ticket.id}-title`}
                >
                  Download ticket
                </a>
              ) : (
                <span className="badge badge-warning">Awaiting the seller's file</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
