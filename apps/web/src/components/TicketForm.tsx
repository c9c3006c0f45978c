'use client';

import type { Ticket } from '@gittix/api-types';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { sendJson } from '../lib/api-client';
import { type FormErrors, splitErrors } from '../lib/form-errors';
import { parsePrice, priceInputValue } from '../lib/price';
import { Field } from './Field';
import { FormAlert } from './FormAlert';

const FIELDS = ['title', 'price'] as const;
type TicketField = (typeof FIELDS)[number];

const NO_ERRORS: FormErrors<TicketField> = { byField: {}, general: [] };

/** Creates a ticket, or with `ticket` edits it; both end on the ticket's page. */
export function TicketForm({ ticket }: { ticket?: Ticket }) {
  const router = useRouter();
  const [errors, setErrors] = useState(NO_ERRORS);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const title = String(form.get('title') ?? '').trim();
    const price = parsePrice(String(form.get('price') ?? ''));
    const problems: FormErrors<TicketField> = { byField: {}, general: [] };
    if (title === '') problems.byField.title = 'Enter a title';
    if (!price.ok) problems.byField.price = price.message;
    if (!price.ok || title === '') {
      setErrors(problems);
      return;
    }

    setPending(true);
    const body = { title, price: price.value };
    const result = ticket
      ? await sendJson<Ticket>('PUT', `/api/tickets/${ticket.id}`, body)
      : await sendJson<Ticket>('POST', '/api/tickets', body);
    if (result.ok) {
      router.push(`/tickets/${result.data.id}`);
      router.refresh();
      return;
    }
    if (result.status === 401) {
      window.location.assign(`/auth/signin?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    setErrors(splitErrors(result.errors, FIELDS));
    setPending(false);
  }

  return (
    // POST, so a submit that beats hydration never puts what was typed into the URL.
    <form method="post" className="form" onSubmit={submit} noValidate>
      <FormAlert messages={errors.general} />
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
        hint="In US dollars, e.g. 35 or 35.50."
        error={errors.byField.price}
        className="price-input"
      />
      <button type="submit" className="button button-block" disabled={pending} aria-busy={pending}>
        {ticket ? 'Save' : 'Create ticket'}
      </button>
    </form>
  );
}
