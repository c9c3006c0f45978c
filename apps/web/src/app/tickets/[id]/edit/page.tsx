import type { Ticket } from '@gittix/api-types';
import type { Metadata } from 'next';
import Link from 'next/link';
import { TicketFileForm } from '../../../../components/TicketFileForm';
import { TicketForm } from '../../../../components/TicketForm';
import { webConfig } from '../../../../lib/config';
import { loadOrRedirect, requireUser } from '../../../../lib/gateway';

export const metadata: Metadata = { title: 'Edit ticket' };

interface EditTicketProps {
  params: Promise<{ id: string }>;
}

/** Why a held or sold ticket offers only its file: saving anything else can only be refused. */
function FileOnlyNotice({ ticket }: { ticket: Ticket }) {
  const started = ticket.event !== null && Date.parse(ticket.event.startsAt) <= Date.now();
  if (started) {
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

  const fileOnly = ticket.status === 'sold' || ticket.status === 'reserved';
  return (
    <section className="narrow card" aria-labelledby="edit-ticket-title">
      <h1 id="edit-ticket-title">Edit ticket</h1>
      {fileOnly ? (
        <FileOnlyNotice ticket={ticket} />
      ) : (
        <>
          <p className="muted">Changes show up for buyers straight away.</p>
          <TicketForm ticket={ticket} feePercent={webConfig().PLATFORM_FEE_PERCENT} />
        </>
      )}
      <p className="form-footer">
        <Link href={`/tickets/${ticket.id}`}>{fileOnly ? 'Back to the ticket' : 'Cancel'}</Link>
      </p>
    </section>
  );
}
