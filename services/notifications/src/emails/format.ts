const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const utcTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** `$1,234.50` from an amount in dollars. */
export const formatDollars = (amount: number): string => dollars.format(amount);

/** `2 Dec 2026, 08:19 UTC`: emails cannot know the reader's time zone, so they say which. */
export const formatTime = (iso: string): string => `${utcTime.format(new Date(iso))} UTC`;

/**
 * Text a user wrote (a ticket title) on one line, for a subject or a fact: control
 * characters and line breaks would otherwise break the layout or fake extra lines,
 * and direction embeddings, overrides and isolates (U+202A–E, U+2066–9) would show
 * the email's own words after the title (the pay-by time, the amounts) reordered.
 */
export function oneLine(text: string, maxLength = 120): string {
  const flat = text
    .replace(/[\u202a-\u202e\u2066-\u2069]+/g, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ');
  const trimmed = flat.trim();
  return trimmed.length > maxLength ? `${trimmed.slice(0, maxLength - 1)}…` : trimmed;
}
