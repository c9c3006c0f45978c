'use client';

import './globals.css';

/** Last resort when the root layout itself fails: its own document, same styles. */
export default function GlobalError({ retry }: { error: unknown; retry: () => void }) {
  return (
    <html lang="en">
      <body>
        <main>
          <section className="narrow card" role="alert">
            <title>Something went wrong · GitTix</title>
            <h1>GitTix is having trouble</h1>
            <p className="muted">Please try again in a moment.</p>
            <button type="button" className="button" onClick={() => retry()}>
              Try again
            </button>
          </section>
        </main>
      </body>
    </html>
  );
}
