import type { CatalogueEvent } from '@gittix/api-types';
import { formatPrice } from './price';

/** "3 tickets from $20.00", "1 ticket at $45.00" or "No tickets for sale yet". */
export function eventOffer(event: Pick<CatalogueEvent, 'availableTickets' | 'minPrice'>): string {
  const { availableTickets: count, minPrice } = event;
  if (count === 0 || minPrice === null) return 'No tickets for sale yet';
  if (count === 1) return `1 ticket at ${formatPrice(minPrice)}`;
  return `${count} tickets from ${formatPrice(minPrice)}`;
}
