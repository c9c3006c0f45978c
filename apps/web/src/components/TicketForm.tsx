'use client';

import type { CatalogueEvent, Ticket } from '@gittix/api-types';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { sendJson } from '../lib/api-client';
import { formatDateTime } from '../lib/date-time';
import { type FormErrors, splitErrors } from '../lib/form-errors';
import { formatPrice, parsePrice, priceInputValue, proceedsAfterFee } from '../lib/price';
import { chosenTicketFile, ticketFileProblem, uploadTicketFile } from '../lib/ticket-file';
import { Field } from './Field';
import { FormAlert } from './FormAlert';
import { TicketFileField } from './TicketFileField';
import { useErrorFocus } from './use-error-focus';
import { useViewerTimeZone } from './use-viewer-time-zone';

const FIELDS = ['title', 'price', 'eventId', 'file'] as const;
type TicketField = (typeof FIELDS)[number];

const NO_ERRORS: FormErrors<TicketField> = { byField: {}, general: [] };

interface TicketFormProps {
  /** The ticket to edit; a new one when absent. */
  ticket?: Ticket;
  /** Upcoming events a new ticket can be listed for (the picker). */
  events?: CatalogueEvent[];
  /** The event chosen up front (`/tickets/new?eventId=…`). */
  eventId?: string;
  /** The platform's fee in percent: the seller sees what they receive after it. */
  feePercent?: number;
}

/**
 * Creates a ticket, or with `ticket` edits it; both end on the ticket's page.
 * A chosen `Ticket file` is uploaded once the ticket is saved; if that upload fails
 * after a new ticket was listed, the form says the listing is live and turns into
 * its edit form (`Save`), so a second submit attaches the file instead of listing twice.
 */
export function TicketForm({ ticket, events = [], eventId = '', feePercent }: TicketFormProps) {
  const router = useRouter();
  // An <option> holds text only: the picker formats in the viewer's zone itself.
  const timeZone = useViewerTimeZone();
  const [errors, setErrors, formRef] = useErrorFocus(NO_ERRORS);
  const [pending, setPending] = useState(false);
  const [priceText, setPriceText] = useState(ticket ? priceInputValue(ticket.price) : '');
  const typed = parsePrice(priceText);
  // A ticket created here whose file then failed: a second submit edits it, not lists it twice.
  const [created, setCreated] = useState<Ticket | undefined>(undefined);
  const saved = ticket ?? created;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const title = String(form.get('title') ?? '').trim();
    const price = parsePrice(String(form.get('price') ?? ''));
    const file = chosenTicketFile(event.currentTarget);
    const problems: FormErrors<TicketField> = { byField: {}, general: [] };
    if (title === '') problems.byField.title = 'Enter a title';
    if (!price.ok) problems.byField.price = price.message;
    const badFile = file && ticketFileProblem(file);
    if (badFile) problems.byField.file = badFile;
    if (!price.ok || title === '' || badFile) {
      setErrors(problems);
      return;
    }

    setPending(true);
    const chosenEvent = String(form.get('eventId') ?? '');
    const body =
      saved || chosenEvent === ''
        ? { title, price: price.value }
        : { title, price: price.value, eventId: chosenEvent };
    const result = saved
      ? await sendJson<Ticket>('PUT', `/api/tickets/${saved.id}`, body)
      : await sendJson<Ticket>('POST', '/api/tickets', body);
    const uploaded = result.ok && file ? await uploadTicketFile(result.data.id, file) : undefined;
    if (result.ok && (!uploaded || uploaded.ok)) {
      router.push(`/tickets/${result.data.id}`);
      router.refresh();
      return;
    }
    if (result.ok && uploaded && !uploaded.ok) {
      setCreated(result.data);
      const reason = uploaded.errors.map((e) => e.message).join(' ');
      // Buyers can already buy a new listing: say it is live, not just that the file failed.
      const general = ticket
        ? []
        : [`Your ticket is listed, but its file was not attached: ${reason}`];
      setErrors({ byField: { file: reason }, general });
      setPending(false);
      return;
    }
    if (!result.ok && result.status === 401) {
      window.location.assign(`/auth/signin?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    if (!result.ok) setErrors(splitErrors(result.errors, FIELDS));
    setPending(false);
  }

  return (
    // POST, so a submit that beats hydration never puts what was typed into the URL.
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <FormAlert
        messages={errors.general}
        action={created && <Link href={`/tickets/${created.id}`}>View your listing</Link>}
      />
      {!ticket && (
        <div className="field">
          <label htmlFor="eventId">Event</label>
          <select
            id="eventId"
            name="eventId"
            className="input"
            defaultValue={eventId}
            // Listed already: its event is fixed, as when a listing is edited.
            disabled={created !== undefined}
            aria-invalid={errors.byField.eventId ? true : undefined}
            aria-describedby={
              errors.byField.eventId ? 'eventId-error eventId-hint' : 'eventId-hint'
            }
          >
            <option value="">No event</option>
            {events.map((event) => (
              <option key={event.id} value={event.id}>
                {event.name}, {event.city} — {formatDateTime(event.startsAt, timeZone)}
              </option>
            ))}
          </select>
          <p id="eventId-hint" className="field-hint">
            Buyers find tickets by event. Missing? <a href="/events">Add it on the events page</a>.
          </p>
          <div aria-live="polite">
            {errors.byField.eventId && (
              <p id="eventId-error" className="field-error">
                {errors.byField.eventId}
              </p>
            )}
          </div>
        </div>
      )}
      <Field
        id="title"
        name="title"
        label="Title"
        defaultValue={ticket?.title}
        maxLength={120}
        autoComplete="off"
        hint="The event, date and seat, e.g. “Arctic Monkeys, 12 June, Block B”."
        error={errors.byField.title}
      />
      <Field
        id="price"
        name="price"
        label="Price"
        inputMode="decimal"
        autoComplete="off"
        defaultValue={ticket ? priceInputValue(ticket.price) : undefined}
        onChange={(event) => setPriceText(event.currentTarget.value)}
        hint="In US dollars, e.g. 35 or 35.50."
        error={errors.byField.price}
        className="price-input"
      />
      {feePercent !== undefined && (
        <p className="field-hint" aria-live="polite" data-testid="proceeds">
          {typed.ok
            ? `You receive ${formatPrice(proceedsAfterFee(typed.value, feePercent))} after the fee (${feePercent}%).`
            : `GitTix keeps ${feePercent}% of the price as its fee.`}
        </p>
      )}
      <TicketFileField hasFile={saved?.hasFile} error={errors.byField.file} />
      <button type="submit" className="button button-block" disabled={pending} aria-busy={pending}>
        {saved ? 'Save' : 'Create ticket'}
      </button>
    </form>
  );
}
