import { TICKET_STATUS_BADGE, TICKET_STATUS_LABEL, type TicketState } from '../lib/ticket-status';

export function TicketBadge({ status }: { status: TicketState }) {
  return (
    <span className={`badge ${TICKET_STATUS_BADGE[status]}`}>{TICKET_STATUS_LABEL[status]}</span>
  );
}
