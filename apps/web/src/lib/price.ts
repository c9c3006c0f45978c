const MAX_PRICE = 1_000_000;

export type PriceParse = { ok: true; value: number } | { ok: false; message: string };

// Digits with an optional fraction of at most two places: "35", "35.5", "35.50", ".5", "35."
const PRICE_PATTERN = /^(?:\d+(?:\.\d{0,2})?|\.\d{1,2})$/;

/**
 * Reads what a person typed into the Price field. Forgiving of "$", spaces and
 * thousands separators, strict about what the API rejects (more than 2 decimals,
 * zero, over a million), so the message arrives before the round trip.
 */
export function parsePrice(input: string): PriceParse {
  const cleaned = input.trim().replace(/^\$/, '').replace(/[\s,]/g, '');
  if (cleaned === '') return { ok: false, message: 'Enter a price' };
  if (!PRICE_PATTERN.test(cleaned)) {
    return /^\d*\.\d{3,}$/.test(cleaned)
      ? { ok: false, message: 'Use at most 2 decimals, like 35.50' }
      : { ok: false, message: 'Enter a price in dollars, like 35.50' };
  }
  const value = Number(cleaned);
  if (value <= 0) return { ok: false, message: 'The price must be more than $0' };
  if (value > MAX_PRICE) return { ok: false, message: 'The price can be at most $1,000,000' };
  return { ok: true, value };
}

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** "$35.50": the same on server and client, so hydration never disagrees. */
export function formatPrice(value: number): string {
  return dollars.format(value);
}

/** The price as the form shows it when editing: "35.50", "35". */
export function priceInputValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * What a seller receives for a sale at `price` after the platform's fee: the fee is
 * rounded to the cent the way payments rounds it.
 */
export function proceedsAfterFee(price: number, feePercent: number): number {
  const cents = Math.round(price * 100);
  return (cents - Math.round((cents * feePercent) / 100)) / 100;
}
