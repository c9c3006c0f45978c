const when = new Intl.DateTimeFormat('en-US', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** "Fri, Jun 12, 2026, 08:00 PM UTC": the same on server and client, so hydration agrees. */
export function formatEventTime(iso: string): string {
  return when.format(new Date(iso));
}
