import type { TicketStatus } from '@gittix/api-types';
import { TICKET_STATUS_BADGE, TICKET_STATUS_LABEL } from '../lib/ticket-status';

export function TicketBadge({ status }: { status: TicketStatus }) {
  return (
    <span className={`badge ${TICKET_STATUS_BADGE[status]}`}>{TICKET_STATUS_LABEL[status]}</span>
  );
}
