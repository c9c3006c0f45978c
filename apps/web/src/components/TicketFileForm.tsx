'use client';

import type { Ticket } from '@gittix/api-types';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import type { FormErrors } from '../lib/form-errors';
import { signInPath } from '../lib/next-path';
import { chosenTicketFile, ticketFileProblem, uploadTicketFile } from '../lib/ticket-file';
import { FormAlert } from './FormAlert';
import { TicketFileField } from './TicketFileField';
import { useErrorFocus } from './use-error-focus';

const NO_ERRORS: FormErrors<'file'> = { byField: {}, general: [] };

/** What the seller reads once the file is in: a paid buyer has it at once, a holder once paid. */
function attachedMessage(status: Ticket['status']): string {
  return status === 'sold'
    ? 'Ticket file attached. The buyer can download it now.'
    : 'Ticket file attached. The buyer can download it once they have paid.';
}

/**
 * Attaches (or replaces) the file of a ticket a buyer holds or bought: the listing
 * itself can no longer change, but the API takes its file until the event starts.
 */
export function TicketFileForm({ ticket }: { ticket: Ticket }) {
  const router = useRouter();
  const [errors, setErrors, formRef] = useErrorFocus(NO_ERRORS);
  const [pending, setPending] = useState(false);
  const [attached, setAttached] = useState<string | null>(null);
  // The prop is what the page loaded, stale until its refresh lands: this upload counts at once.
  const [uploaded, setUploaded] = useState(false);
  const hasFile = ticket.hasFile || uploaded;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const file = chosenTicketFile(form);
    const problem = file ? ticketFileProblem(file) : 'Choose the ticket file to attach';
    setAttached(null);
    if (!file || problem) {
      setErrors({ byField: { file: problem }, general: [] });
      return;
    }

    setPending(true);
    const result = await uploadTicketFile(ticket.id, file);
    if (result.status === 401) {
      window.location.assign(signInPath(window.location.pathname));
      return;
    }
    setPending(false);
    if (!result.ok) {
      setErrors({ byField: {}, general: result.errors.map((e) => e.message) });
      return;
    }
    setErrors(NO_ERRORS);
    setAttached(attachedMessage(ticket.status));
    setUploaded(true);
    form.reset();
    router.refresh();
  }

  return (
    // POST, so a submit that beats hydration never puts anything into the URL.
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <FormAlert messages={errors.general} />
      <div role="status" aria-live="polite">
        {attached && <p className="notice notice-success">{attached}</p>}
      </div>
      <TicketFileField
        hasFile={hasFile}
        buyer={ticket.status === 'sold' ? 'paid' : 'holding'}
        error={errors.byField.file}
      />
      <button type="submit" className="button button-block" disabled={pending} aria-busy={pending}>
        {hasFile ? 'Replace file' : 'Attach file'}
      </button>
    </form>
  );
}
