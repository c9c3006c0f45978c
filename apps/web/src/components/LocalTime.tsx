'use client';

import { formatDateTime } from '../lib/date-time';
import { useViewerTimeZone } from './use-viewer-time-zone';

/**
 * An instant (an event's start, a hold's end, a payout) in the viewer's own time zone
 * with its short name ("… 08:00 PM EDT"), as the add-event form takes times ("Your
 * local time"). Server-rendered in UTC, then re-rendered in the browser's zone once
 * hydrated. Every date the web client shows goes through here.
 */
export function LocalTime({ iso, className }: { iso: string; className?: string }) {
  const timeZone = useViewerTimeZone();
  return (
    <time className={className} dateTime={iso}>
      {formatDateTime(iso, timeZone)}
    </time>
  );
}
