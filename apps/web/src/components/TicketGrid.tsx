import type { Ticket } from '@gittix/api-types';
import { formatPrice } from '../lib/price';
import { IntentLink } from './IntentLink';
import styles from './TicketGrid.module.css';

export function TicketGrid({ tickets }: { tickets: Ticket[] }) {
  return (
    <ul className={styles.grid}>
      {tickets.map((ticket) => (
        <li key={ticket.id}>
          <IntentLink href={`/tickets/${ticket.id}`} className={styles.card}>
            <span className={styles.title}>{ticket.title}</span>
            <span className={`price ${styles.price}`}>{formatPrice(ticket.price)}</span>
          </IntentLink>
        </li>
      ))}
    </ul>
  );
}
