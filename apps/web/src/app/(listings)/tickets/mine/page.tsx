import type { Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { IntentLink } from '../../../../components/IntentLink';
import { LocalTime } from '../../../../components/LocalTime';
import { RefusedListing } from '../../../../components/RefusedListing';
import { TicketBadge } from '../../../../components/TicketBadge';
import { WithdrawButton } from '../../../../components/WithdrawButton';
import { gatewayError, gatewayGet, requireUser } from '../../../../lib/gateway';
import { formatPrice } from '../../../../lib/price';
import { refusedQuery } from '../../../../lib/refused-query';
import { ticketState } from '../../../../lib/ticket-status';
import { cursorFrom, nextPageHref, ticketsApiPath } from '../../../../lib/tickets-query';
import styles from '../../listing.module.css';

export const metadata: Metadata = { title: 'My listings' };

/** The element holding a listing's title: its Withdraw button is described by it. */
const titleId = (ticket: Ticket) => `listing-${ticket.id}-title`;

interface MineProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function MyTicketsPage({ searchParams }: MineProps) {
  const user = await requireUser('/tickets/mine');
  const cursor = cursorFrom(await searchParams);
  const path = ticketsApiPath({ userId: user.id }, cursor);
  const response = await gatewayGet<Ticket[]>(path);
  const refused = refusedQuery(response);
  if (!response.data && !refused) throw gatewayError(response, path);
  const tickets = response.data ?? [];
  const next = nextPageHref('/tickets/mine', {}, response.headers.get('link'));
  const now = Date.now();

  return (
    <>
      <div className="page-header">
        <div>
          <h1>My listings</h1>
          <p className="muted">
            A ticket held by a buyer's order is sold once they pay, or goes back on sale if they
            don't. Withdraw a listing to take it off sale.
          </p>
        </div>
        <Link href="/tickets/new" className="button">
          List a ticket
        </Link>
      </div>
      {refused ? (
        <RefusedListing messages={refused} firstPage="/tickets/mine" />
      ) : tickets.length === 0 ? (
        <div className="card empty-state">
          <h2>You haven't listed anything yet</h2>
          <p className="muted">Can't make it to a show? List your ticket in a minute.</p>
        </div>
      ) : (
        <ul className={styles.list}>
          {tickets.map((ticket) => (
            <li key={ticket.id} className={styles.withAction}>
              <IntentLink href={`/tickets/${ticket.id}`} className={styles.row}>
                <span className={styles.title}>
                  <span id={titleId(ticket)}>{ticket.title}</span>
                  {ticket.event && (
                    <span className={styles.detail}>
                      {ticket.event.name} · <LocalTime iso={ticket.event.startsAt} />
                    </span>
                  )}
                  {ticket.status !== 'withdrawn' && (
                    <span className={styles.detail}>
                      {ticket.hasFile ? 'Ticket file attached' : 'No ticket file yet'}
                    </span>
                  )}
                </span>
                <span className={`price ${styles.price}`}>{formatPrice(ticket.price)}</span>
                <TicketBadge status={ticketState(ticket, now)} />
              </IntentLink>
              {ticketState(ticket, now) === 'available' && (
                <WithdrawButton ticketId={ticket.id} describedBy={titleId(ticket)} />
              )}
            </li>
          ))}
        </ul>
      )}
      {(next || cursor.size > 0) && (
        <nav aria-label="Pages" className="pager">
          {cursor.size > 0 && (
            <Link href="/tickets/mine" className="button button-secondary">
              ← Newest
            </Link>
          )}
          {next && (
            <Link href={next} className="button button-secondary">
              More listings →
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
