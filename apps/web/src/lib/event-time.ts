const OPTIONS: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
};

/** One formatter per zone asked for: building them is the costly part. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { ...OPTIONS, timeZone });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * "Fri, Jun 12, 2026, 08:00 PM UTC", or in `timeZone` (an IANA name) with that
 * zone's short name: "Sun, Aug 1, 2027, 08:00 PM EDT". The server always writes
 * UTC, so the HTML it sends hydrates unchanged; EventTime then shows the viewer's
 * own zone. A zone this runtime does not know falls back to UTC.
 */
export function formatEventTime(iso: string, timeZone = 'UTC'): string {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = formatterFor(timeZone);
  } catch {
    formatter = formatterFor('UTC');
  }
  return formatter.format(new Date(iso));
}
