'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

/** What a failed submit shows, in reading order: a filled alert (FormAlert) or an invalid field. */
const SHOWN_ERROR = '[role="alert"]:not(:empty), [aria-invalid="true"]';

/**
 * A form's errors as state that, each time it is set, moves focus to the first error
 * then shown inside the element given `ref` (WCAG 3.3.1): a keyboard or screen-reader
 * user lands on what went wrong, not on a button that was disabled while sending.
 * Set after every attempt, so the same refusal twice still moves focus; nothing to
 * show (a success, errors cleared) moves nothing.
 */
export function useErrorFocus<Errors>(initial: Errors) {
  const [shown, setShown] = useState({ errors: initial, attempt: 0 });
  const container = useRef<HTMLElement | null>(null);

  useEffect(() => {
    if (shown.attempt === 0) return;
    container.current?.querySelector<HTMLElement>(SHOWN_ERROR)?.focus();
  }, [shown]);

  const setErrors = useCallback(
    (errors: Errors) => setShown(({ attempt }) => ({ errors, attempt: attempt + 1 })),
    [],
  );
  // A callback ref fits any element: a form, or a panel holding one.
  const ref = useCallback((element: HTMLElement | null) => {
    container.current = element;
  }, []);

  return [shown.errors, setErrors, ref] as const;
}
