import type { Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { TicketForm } from '../../../../components/TicketForm';
import { webConfig } from '../../../../lib/config';
import { loadOrRedirect, requireUser } from '../../../../lib/gateway';

export const metadata: Metadata = { title: 'Edit ticket' };

interface EditTicketProps {
  params: Promise<{ id: string }>;
}

export default async function EditTicketPage({ params }: EditTicketProps) {
  const { id } = await params;
  const returnTo = `/tickets/${encodeURIComponent(id)}/edit`;
  const user = await requireUser(returnTo);
  const ticket = await loadOrRedirect<Ticket>(`/api/tickets/${encodeURIComponent(id)}`, returnTo);

  if (ticket.userId !== user.id) {
    return (
      <section className="narrow card">
        <h1>Not your ticket</h1>
        <p className="muted">Only the seller can edit a listing.</p>
        <Link href={`/tickets/${ticket.id}`}>Back to the ticket</Link>
      </section>
    );
  }

  return (
    <section className="narrow card" aria-labelledby="edit-ticket-title">
      <h1 id="edit-ticket-title">Edit ticket</h1>
      {ticket.orderId ? (
        <p className="notice notice-warning">
          A buyer's order holds this ticket, so it can't be changed right now.
        </p>
      ) : (
        <p className="muted">Changes show up for buyers straight away.</p>
      )}
      <TicketForm ticket={ticket} feePercent={webConfig().PLATFORM_FEE_PERCENT} />
      <p className="form-footer">
        <Link href={`/tickets/${ticket.id}`}>Cancel</Link>
      </p>
    </section>
  );
}
