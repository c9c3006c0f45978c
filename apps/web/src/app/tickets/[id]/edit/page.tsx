import type { Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { TicketFileForm } from '../../../../components/TicketFileForm';
import { TicketForm } from '../../../../components/TicketForm';
import { webConfig } from '../../../../lib/config';
import { loadOrRedirect, requireUser } from '../../../../lib/gateway';
import { eventHasStarted } from '../../../../lib/ticket-status';

export const metadata: Metadata = { title: 'Edit ticket' };

interface EditTicketProps {
  params: Promise<{ id: string }>;
}

/**
 * Why a held or sold ticket offers only its file (saving anything else can only be
 * refused), and why one whose event has started offers nothing (its file is refused too).
 */
function FileOnlyNotice({ ticket }: { ticket: Ticket }) {
  if (eventHasStarted(ticket, Date.now())) {
    return (
      <p className="notice notice-warning">
        The event has started: this ticket and its file can no longer be changed.
      </p>
    );
  }
  return (
    <>
      <p className="notice notice-warning">
        {ticket.status === 'sold'
          ? 'This ticket is sold: only its file can still be attached.'
          : "A buyer's order holds this ticket: only its file can be attached until the hold ends."}
      </p>
      <TicketFileForm ticket={ticket} />
    </>
  );
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

  // Only an available listing whose event is ahead can change: the API refuses the rest.
  const editable = ticket.status === 'available' && !eventHasStarted(ticket, Date.now());
  return (
    <section className="narrow card" aria-labelledby="edit-ticket-title">
      <h1 id="edit-ticket-title">Edit ticket</h1>
      {ticket.status === 'withdrawn' ? (
        <p className="notice notice-warning">
          You withdrew this listing: it can no longer be changed. To sell the ticket again,{' '}
          <Link href="/tickets/new">list it anew</Link>.
        </p>
      ) : !editable ? (
        <FileOnlyNotice ticket={ticket} />
      ) : (
        <>
          <p className="muted">Changes show up for buyers straight away.</p>
          <TicketForm ticket={ticket} feePercent={webConfig().PLATFORM_FEE_PERCENT} />
        </>
      )}
      <p className="form-footer">
        <Link href={`/tickets/${ticket.id}`}>{editable ? 'Cancel' : 'Back to the ticket'}</Link>
      </p>
    </section>
  );
}
