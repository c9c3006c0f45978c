import { describe, expect, it } from 'vitest';
import { formatCountdown, remainingMs, spokenCountdown } from '../src/lib/countdown';

describe('formatCountdown', () => {
  it.each([
    [900_000, '15:00'],
    [899_001, '15:00'],
    [899_000, '14:59'],
    [65_000, '01:05'],
    [1_000, '00:01'],
    [1, '00:01'],
    [0, '00:00'],
    [-5_000, '00:00'],
    [3_723_000, '1:02:03'],
  ])('when %d ms are left, then it shows %s', (ms, text) => {
    expect(formatCountdown(ms)).toBe(text);
  });
});

describe('remainingMs', () => {
  it('when the expiry is ahead, then it is the difference; once past, zero', () => {
    const now = Date.parse('2030-01-01T00:00:00.000Z');
    expect(remainingMs('2030-01-01T00:15:00.000Z', now)).toBe(900_000);
    expect(remainingMs('2029-12-31T23:59:00.000Z', now)).toBe(0);
  });
});

describe('spokenCountdown', () => {
  it('when time passes, then the announcement changes only at coarse steps', () => {
    expect(spokenCountdown(900_000)).toBe('15 minutes left to pay.');
    expect(spokenCountdown(899_000)).toBe('15 minutes left to pay.');
    expect(spokenCountdown(60_000)).toBe('1 minute left to pay.');
    expect(spokenCountdown(59_000)).toBe('Less than a minute left to pay.');
    expect(spokenCountdown(30_000)).toBe('Less than 30 seconds left to pay.');
    expect(spokenCountdown(10_000)).toBe('Less than 10 seconds left to pay.');
    expect(spokenCountdown(0)).toBe('Time is up: this order has expired.');
  });
});
