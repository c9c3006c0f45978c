import { z } from 'zod';

/** A price as the API speaks it: dollars, at most 2 decimals, 0 < price <= 1,000,000. */
export const priceSchema = z
  .number({ message: 'Price must be a number' })
  .gt(0, { message: 'Price must be greater than 0' })
  .max(1_000_000, { message: 'Price must be at most 1000000' })
  .multipleOf(0.01, { message: 'Price must have at most 2 decimals' });

/** Prices are stored as integer cents so that no sum ever drifts. */
export function toCents(dollars: number): number {
  return Math.round(dollars * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}
