import type { TicketStatus } from '@gittix/api-types';

export const TICKET_STATUS_LABEL: Record<TicketStatus, string> = {
  available: 'Available',
  reserved: 'Reserved',
  sold: 'Sold',
  withdrawn: 'Withdrawn',
};

export const TICKET_STATUS_BADGE: Record<TicketStatus, string> = {
  available: 'badge-success',
  reserved: 'badge-warning',
  sold: 'badge-brand',
  withdrawn: 'badge-danger',
};
