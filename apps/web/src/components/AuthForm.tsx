'use client';

import type { CurrentUser } from '@gittix/api-types';
import { type FormEvent, useState } from 'react';
import { sendJson } from '../lib/api-client';
import type { BusyWait } from '../lib/busy-retry';
import { type FormErrors, splitErrors } from '../lib/form-errors';
import { rememberWelcome } from '../lib/welcome-flash';
import { BusyNotice } from './BusyNotice';
import { Field } from './Field';
import { FormAlert } from './FormAlert';
import { useErrorFocus } from './use-error-focus';

type Mode = 'signin' | 'signup';
const FIELDS = ['email', 'password'] as const;
type AuthField = (typeof FIELDS)[number];

const NO_ERRORS: FormErrors<AuthField> = { byField: {}, general: [] };

export function AuthForm({ mode, next }: { mode: Mode; next: string }) {
  const [errors, setErrors, formRef] = useErrorFocus(NO_ERRORS);
  const [pending, setPending] = useState(false);
  const [busy, setBusy] = useState<BusyWait | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    const result = await sendJson<CurrentUser>(
      'POST',
      `/api/users/${mode}`,
      {
        email: String(form.get('email') ?? ''),
        password: String(form.get('password') ?? ''),
      },
      { onBusy: setBusy },
    );
    if (result.ok) {
      // The page they land on tells a new user where their verification link went.
      if (mode === 'signup') rememberWelcome(result.data.email);
      // A full navigation, so every server-rendered part (the header too) sees the new session.
      window.location.assign(next);
      return;
    }
    setErrors(splitErrors(result.errors, FIELDS));
    setPending(false);
  }

  return (
    // POST, so a submit that beats hydration never puts what was typed into the URL.
    <form ref={formRef} method="post" className="form" onSubmit={submit} noValidate>
      <FormAlert messages={errors.general} />
      <BusyNotice wait={busy} />
      <Field
        id="email"
        name="email"
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        spellCheck={false}
        error={errors.byField.email}
      />
      <Field
        id="password"
        name="password"
        label="Password"
        type="password"
        autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
        hint={mode === 'signup' ? 'At least 8 characters.' : undefined}
        error={errors.byField.password}
      />
      <button type="submit" className="button button-block" disabled={pending} aria-busy={pending}>
        {mode === 'signup' ? 'Sign up' : 'Sign in'}
      </button>
    </form>
  );
}
