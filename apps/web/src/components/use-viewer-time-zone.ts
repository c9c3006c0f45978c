'use client';

import { useSyncExternalStore } from 'react';

// The zone does not change while a page is open: nothing to subscribe to.
const subscribe = () => () => {};
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
const serverZone = () => 'UTC';

/**
 * The viewer's time zone (IANA name). 'UTC' on the server and while the server's
 * HTML hydrates, so both render the same text; the browser's own zone right after.
 */
export function useViewerTimeZone(): string {
  return useSyncExternalStore(subscribe, browserZone, serverZone);
}
