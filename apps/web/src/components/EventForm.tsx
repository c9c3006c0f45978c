'use client';

import type { CatalogueEvent } from '@gittix/api-types';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { sendJson } from '../lib/api-client';
import { type FormErrors, splitErrors } from '../lib/form-errors';
import { signInPath } from '../lib/next-path';
import { Field } from './Field';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

const FIELDS = ['name', 'venue', 'city', 'startsAt'] as const;
type EventField = (typeof FIELDS)[number];
const NO_ERRORS: FormErrors<EventField> = { byField: {}, general: [] };

/** Adds an event to the catalogue, then opens it (where its first ticket can be listed). */
export function EventForm() {
  const router = useRouter();
  const [errors, setErrors, formRef] = useErrorFocus(NO_ERRORS);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const local = text('startsAt');
    // datetime-local is the visitor's own clock: the browser turns it into an instant.
    const startsAt = local ? new Date(local) : null;
    const problems: FormErrors<EventField> = { byField: {}, general: [] };
    if (!text('name')) problems.byField.name = 'Enter the name of the show';
    if (!text('venue')) problems.byField.venue = 'Enter the venue';
    if (!text('city')) problems.byField.city = 'Enter the city';
    if (!startsAt || Number.isNaN(startsAt.getTime()))
      problems.byField.startsAt = 'Pick a date and time';
    if (Object.keys(problems.byField).length > 0 || !startsAt) {
      setErrors(problems);
      return;
    }
    setPending(true);
    const result = await sendJson<CatalogueEvent>('POST', '/api/events', {
      name: text('name'),
      venue: text('venue'),
      city: text('city'),
      startsAt: startsAt.toISOString(),
    });
    if (result.ok) {
      router.push(`/events/${result.data.id}`);
      return;
    }
    if (result.status === 401) {
      window.location.assign(signInPath('/events'));
      return;
    }
    setErrors(splitErrors(result.errors, FIELDS));
    setPending(false);
  }

  return (
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <FormAlert messages={errors.general} />
      <Field
        id="event-name"
        name="name"
        label="Name"
        maxLength={120}
        autoComplete="off"
        error={errors.byField.name}
      />
      <Field
        id="event-venue"
        name="venue"
        label="Venue"
        maxLength={120}
        autoComplete="off"
        error={errors.byField.venue}
      />
      <Field
        id="event-city"
        name="city"
        label="City"
        maxLength={80}
        autoComplete="off"
        error={errors.byField.city}
      />
      <Field
        id="event-starts"
        name="startsAt"
        label="Starts at"
        type="datetime-local"
        hint="Your local time."
        error={errors.byField.startsAt}
      />
      <button type="submit" className="button button-block" disabled={pending} aria-busy={pending}>
        Add event
      </button>
    </form>
  );
}
