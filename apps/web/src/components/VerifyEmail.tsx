'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { sendJson } from '../lib/api-client';

type State = { kind: 'pending' } | { kind: 'verified' } | { kind: 'failed'; message: string };

/**
 * Verifies with the link's token once the page is open in a browser: a mail
 * scanner that fetches the link without running scripts spends nothing.
 */
export function VerifyEmail({ token }: { token: string }) {
  const [state, setState] = useState<State>({ kind: 'pending' });

  useEffect(() => {
    let cancelled = false;
    sendJson('POST', '/api/users/verify', { token }).then((result) => {
      if (cancelled) return;
      setState(
        result.ok
          ? { kind: 'verified' }
          : {
              kind: 'failed',
              message: result.errors[0]?.message ?? 'This link could not be used.',
            },
      );
    });
    return () => {
      cancelled = true;
    };
  }, [token]);

  if (state.kind === 'pending') return <p className="muted">Checking your link…</p>;
  if (state.kind === 'verified') {
    return (
      <div role="status">
        <p className="notice notice-success">Email verified</p>
        <p>
          <Link href="/">Browse tickets</Link> or go to your <Link href="/account">account</Link>.
        </p>
      </div>
    );
  }
  return (
    <div role="alert">
      <p className="notice notice-error">{state.message}</p>
      <p>
        Signed in? Ask for a new link on your <Link href="/account">account</Link> page.
      </p>
    </div>
  );
}
