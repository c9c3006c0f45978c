import type { Metadata } from 'next';
import { TicketForm } from '../../../components/TicketForm';
import { requireUser } from '../../../lib/gateway';

export const metadata: Metadata = { title: 'Sell a ticket' };

export default async function NewTicketPage() {
  await requireUser('/tickets/new');
  return (
    <section className="narrow card" aria-labelledby="new-ticket-title">
      <h1 id="new-ticket-title">Sell a ticket</h1>
      <p className="muted">Buyers see it on the front page as soon as you list it.</p>
      <TicketForm />
    </section>
  );
}
