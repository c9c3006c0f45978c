import { describe, expect, it } from 'vitest';
import { formatPrice, parsePrice, priceInputValue, proceedsAfterFee } from '../src/lib/price';

describe('parsePrice', () => {
  it.each([
    ['35', 35],
    ['35.5', 35.5],
    ['35.50', 35.5],
    ['  35.50 ', 35.5],
    ['$35.50', 35.5],
    ['1,200.50', 1200.5],
    ['.5', 0.5],
    ['35.', 35],
    ['0.01', 0.01],
    ['1000000', 1_000_000],
  ])('when given "%s", then it reads %d dollars', (input, value) => {
    expect(parsePrice(input)).toEqual({ ok: true, value });
  });

  it.each([
    ['', 'Enter a price'],
    ['   ', 'Enter a price'],
    ['35.555', 'at most 2 decimals'],
    ['abc', 'like 35.50'],
    ['-5', 'like 35.50'],
    ['1e3', 'like 35.50'],
    ['0', 'more than $0'],
    ['0.00', 'more than $0'],
    ['1000000.01', 'at most $1,000,000'],
  ])('when given "%s", then it explains (%s)', (input, message) => {
    const result = parsePrice(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain(message);
  });

  it('when the value is sent, then it is a JSON number, not a string', () => {
    const result = parsePrice('35.50');
    expect(JSON.stringify({ price: result.ok && result.value })).toBe('{"price":35.5}');
  });
});

describe('formatPrice and priceInputValue', () => {
  it('when shown, then prices read as US dollars with cents', () => {
    expect(formatPrice(35.5)).toBe('$35.50');
    expect(formatPrice(1200)).toBe('$1,200.00');
  });

  it('when edited, then whole prices lose the cents and others keep two places', () => {
    expect(priceInputValue(35)).toBe('35');
    expect(priceInputValue(35.5)).toBe('35.50');
  });
});

describe('proceedsAfterFee', () => {
  it('when the fee is taken, then it is rounded to the cent as payments rounds it', () => {
    expect(proceedsAfterFee(25.5, 10)).toBe(22.95);
    expect(proceedsAfterFee(19.99, 10)).toBe(17.99);
    expect(proceedsAfterFee(0.05, 10)).toBe(0.04);
    expect(proceedsAfterFee(100, 0)).toBe(100);
  });
});
