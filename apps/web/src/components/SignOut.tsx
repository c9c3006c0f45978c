'use client';

import { useEffect, useState } from 'react';
import { sendJson } from '../lib/api-client';

/** Ends the session, then a full navigation home so the header forgets the user. */
export function SignOut() {
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    sendJson<Record<string, never>>('POST', '/api/users/signout').then((result) => {
      if (cancelled) return;
      if (result.ok) window.location.replace('/');
      else setFailed(result.errors[0]?.message ?? 'Signing out failed.');
    });
    return () => {
      cancelled = true;
    };
  }, []);

  if (!failed) return <p className="muted">One moment.</p>;
  return (
    <div role="alert">
      <p className="notice notice-error">{failed}</p>
      <p>
        <a href="/auth/signout">Try again</a>
      </p>
    </div>
  );
}
