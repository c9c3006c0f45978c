import type { CatalogueEvent } from '@gittix/api-types';
import { eventOffer } from '../lib/event-offer';
import styles from './EventCard.module.css';
import { IntentLink } from './IntentLink';
import { LocalTime } from './LocalTime';

/** Event cards: name, venue and city, when, and what is for sale. */
export function EventGrid({ events }: { events: CatalogueEvent[] }) {
  return (
    <ul className={styles.grid}>
      {events.map((event) => (
        <li key={event.id}>
          <IntentLink href={`/events/${event.id}`} className={styles.card}>
            <span className={styles.name}>{event.name}</span>
            <span className={styles.where}>
              {event.venue}, {event.city}
            </span>
            <LocalTime className={styles.when} iso={event.startsAt} />
            <span className={styles.offer}>{eventOffer(event)}</span>
          </IntentLink>
        </li>
      ))}
    </ul>
  );
}
