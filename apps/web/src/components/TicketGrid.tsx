import Link from 'next/link';
import { formatPrice } from '../lib/price';
import type { Ticket } from '../lib/types';
import styles from './TicketGrid.module.css';

export function TicketGrid({ tickets }: { tickets: Ticket[] }) {
  return (
    <ul className={styles.grid}>
      {tickets.map((ticket) => (
        <li key={ticket.id}>
          <Link href={`/tickets/${ticket.id}`} className={styles.card}>
            <span className={styles.title}>{ticket.title}</span>
            <span className={`price ${styles.price}`}>{formatPrice(ticket.price)}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
