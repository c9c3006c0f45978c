/** Milliseconds left until `expiresAt` (ISO), never negative. */
export function remainingMs(expiresAt: string, now: number): number {
  return Math.max(0, Date.parse(expiresAt) - now);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05", or "1:02:03" past an hour. Rounds up so it reads 0:00 only when time is up. */
export function formatCountdown(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
}

/**
 * What a screen reader hears: announced only when this text changes, i.e. once a
 * minute, then at 30 and 10 seconds, instead of every tick.
 */
export function spokenCountdown(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  if (total === 0) return 'Time is up: this order has expired.';
  if (total <= 10) return 'Less than 10 seconds left to pay.';
  if (total <= 30) return 'Less than 30 seconds left to pay.';
  if (total < 60) return 'Less than a minute left to pay.';
  const minutes = Math.ceil(total / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'} left to pay.`;
}
