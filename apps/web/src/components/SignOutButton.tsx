'use client';

import { type FormEvent, useEffect, useState } from 'react';
import { sendJson } from '../lib/api-client';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

/**
 * The only way to sign out: a POST behind a button, so a link, a prefetch or an
 * image tag pointing at /auth/signout signs nobody out. The session ends on every
 * service (auth revokes it), then a full navigation home so the header forgets the user.
 * The button waits for the page's script: submitted by the browser itself, the form
 * would post a form-encoded body, which the JSON-only API refuses (a raw 415 page,
 * nobody signed out).
 */
export function SignOutButton() {
  const [errors, setErrors, formRef] = useErrorFocus<string[]>([]);
  const [pending, setPending] = useState(false);
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    const result = await sendJson<Record<string, never>>('POST', '/api/users/signout');
    if (result.ok) {
      window.location.replace('/');
      return;
    }
    setErrors(result.errors.map((e) => e.message));
    setPending(false);
  }

  return (
    <form ref={formRef} method="post" className="form" onSubmit={submit}>
      <FormAlert messages={errors} />
      <button
        type="submit"
        className="button button-block"
        disabled={pending || !ready}
        aria-busy={pending}
      >
        Sign out
      </button>
    </form>
  );
}
