'use client';

import { formatEventTime } from '../lib/event-time';
import { useViewerTimeZone } from './use-viewer-time-zone';

/**
 * When an event starts, in the viewer's own time zone with its short name ("… 08:00 PM
 * EDT"), as the add-event form takes it ("Your local time"). Server-rendered in UTC,
 * then re-rendered in the browser's zone once hydrated.
 */
export function EventTime({ iso, className }: { iso: string; className?: string }) {
  const timeZone = useViewerTimeZone();
  return (
    <time className={className} dateTime={iso}>
      {formatEventTime(iso, timeZone)}
    </time>
  );
}
