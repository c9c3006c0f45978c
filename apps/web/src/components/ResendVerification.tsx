'use client';

import { useState } from 'react';
import { sendJson } from '../lib/api-client';

/** Asks auth for a new verification email. */
export function ResendVerification() {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, setPending] = useState(false);

  async function resend() {
    setPending(true);
    const result = await sendJson('POST', '/api/users/verify/resend');
    setPending(false);
    setMessage(
      result.ok
        ? { ok: true, text: 'A new verification link is on its way.' }
        : { ok: false, text: result.errors[0]?.message ?? 'Could not send the email.' },
    );
  }

  return (
    <div>
      <button
        type="button"
        className="button"
        onClick={resend}
        disabled={pending}
        aria-busy={pending}
      >
        Resend verification email
      </button>
      <div aria-live="polite">
        {message && (
          <p className={`notice ${message.ok ? 'notice-success' : 'notice-error'}`}>
            {message.text}
          </p>
        )}
      </div>
    </div>
  );
}
