import type { Ticket } from '@gittix/api-types';
import { formatPrice } from '../lib/price';
import { IntentLink } from './IntentLink';
import { LocalTime } from './LocalTime';
import { TicketBadge } from './TicketBadge';
import styles from './TicketGrid.module.css';

/** Ticket cards: title, its event, price, and a badge unless it is simply for sale. */
export function TicketGrid({
  tickets,
  showEvent = true,
}: {
  tickets: Ticket[];
  showEvent?: boolean;
}) {
  return (
    <ul className={styles.grid}>
      {tickets.map((ticket) => (
        <li key={ticket.id}>
          <IntentLink href={`/tickets/${ticket.id}`} className={styles.card}>
            <span className={styles.title}>{ticket.title}</span>
            {showEvent && ticket.event && (
              <span className={styles.event}>
                {ticket.event.name} · {ticket.event.city} ·{' '}
                <LocalTime iso={ticket.event.startsAt} />
              </span>
            )}
            <span className={styles.footer}>
              <span className={`price ${styles.price}`}>{formatPrice(ticket.price)}</span>
              {ticket.status !== 'available' && <TicketBadge status={ticket.status} />}
            </span>
          </IntentLink>
        </li>
      ))}
    </ul>
  );
}
