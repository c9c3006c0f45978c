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
 * The one way the web client writes a date and time (an event's start, a hold's end,
 * a payout): "Fri, Jun 12, 2026, 08:00 PM UTC", or in `timeZone` (an IANA name) with
 * that zone's short name: "Sun, Aug 1, 2027, 08:00 PM EDT". Pages show it through
 * LocalTime, which renders UTC on the server (so the HTML hydrates unchanged) and the
 * viewer's own zone in the browser. A zone this runtime does not know falls back to UTC.
 */
export function formatDateTime(iso: string, timeZone = 'UTC'): string {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = formatterFor(timeZone);
  } catch {
    formatter = formatterFor('UTC');
  }
  return formatter.format(new Date(iso));
}
