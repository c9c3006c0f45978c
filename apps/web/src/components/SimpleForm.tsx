'use client';

import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { type ApiResult, sendJson } from '../lib/api-client';
import type { BusyWait } from '../lib/busy-retry';
import { type FormErrors, splitErrors } from '../lib/form-errors';
import { BusyNotice } from './BusyNotice';
import { Field } from './Field';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

export interface SimpleField {
  /** The API's field name, which its errors name too. */
  name: string;
  label: string;
  type: 'email' | 'password';
  autoComplete: string;
  hint?: string;
}

interface SimpleFormProps {
  method: 'POST' | 'PUT';
  path: `/api/${string}`;
  fields: readonly SimpleField[];
  /** Sent with what was typed (a token from the page's link). */
  extra?: Record<string, string>;
  submitLabel: string;
  /** What replaces the form once the API said yes. */
  done: ReactNode;
  /** Called after success, e.g. to reload the page's server-rendered parts. */
  onDone?: () => void;
  keepFormAfterDone?: boolean;
}

/**
 * A small form that sends its fields as JSON to one API route and shows the API's
 * errors beside the fields they name (others above), then `done` on success.
 */
export function SimpleForm(props: SimpleFormProps) {
  const names = props.fields.map((f) => f.name);
  const [errors, setErrors, formRef] = useErrorFocus<FormErrors<string>>({
    byField: {},
    general: [],
  });
  const [pending, setPending] = useState(false);
  const [succeeded, setSucceeded] = useState(false);
  const [busy, setBusy] = useState<BusyWait | null>(null);
  // The form (and the button just pressed) goes away on success: focus moves to what
  // replaces it, so a keyboard user keeps their place and a screen reader reads it out.
  const doneRef = useRef<HTMLDivElement>(null);
  const replaced = succeeded && !props.keepFormAfterDone;
  useEffect(() => {
    if (replaced) doneRef.current?.focus();
  }, [replaced]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const body: Record<string, string> = { ...props.extra };
    for (const name of names) body[name] = String(form.get(name) ?? '');
    setPending(true);
    const result: ApiResult<unknown> = await sendJson(props.method, props.path, body, {
      onBusy: setBusy,
    });
    setPending(false);
    if (result.ok) {
      setErrors({ byField: {}, general: [] });
      setSucceeded(true);
      element.reset();
      props.onDone?.();
      return;
    }
    setSucceeded(false);
    setErrors(splitErrors(result.errors, names));
  }

  if (replaced) {
    return (
      <div ref={doneRef} role="status" tabIndex={-1}>
        {props.done}
      </div>
    );
  }
  return (
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <FormAlert messages={errors.general} />
      <BusyNotice wait={busy} />
      {/* There before it is filled, so what appears in it is announced. */}
      <div role="status">{succeeded && props.done}</div>
      {props.fields.map((field) => (
        <Field
          key={field.name}
          id={field.name}
          name={field.name}
          label={field.label}
          type={field.type}
          autoComplete={field.autoComplete}
          hint={field.hint}
          {...(field.type === 'email' ? { inputMode: 'email', spellCheck: false } : {})}
          error={errors.byField[field.name]}
        />
      ))}
      <button type="submit" className="button button-block" disabled={pending} aria-busy={pending}>
        {props.submitLabel}
      </button>
    </form>
  );
}
