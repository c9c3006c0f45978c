import type { Ticket, TicketStatus } from '@gittix/api-types';

/**
 * What a ticket's badge says: its status, except that an `available` ticket whose
 * event has started is on sale to nobody (the API lists it no more, orders refuse it).
 */
export type TicketState = TicketStatus | 'started';

export const TICKET_STATUS_LABEL: Record<TicketState, string> = {
  available: 'Available',
  reserved: 'Reserved',
  sold: 'Sold',
  withdrawn: 'Withdrawn',
  started: 'Event started',
};

export const TICKET_STATUS_BADGE: Record<TicketState, string> = {
  available: 'badge-success',
  reserved: 'badge-warning',
  sold: 'badge-brand',
  withdrawn: 'badge-danger',
  started: 'badge-danger',
};

/** Whether the ticket's event has begun by `now`; a ticket without an event never starts. */
export function eventHasStarted(ticket: Pick<Ticket, 'event'>, now: number): boolean {
  return ticket.event !== null && Date.parse(ticket.event.startsAt) <= now;
}

export function ticketState(ticket: Pick<Ticket, 'status' | 'event'>, now: number): TicketState {
  return ticket.status === 'available' && eventHasStarted(ticket, now) ? 'started' : ticket.status;
}
