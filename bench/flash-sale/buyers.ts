import type { SignedSession } from '../harness/sessions.js';

export interface Attempt {
  buyer: SignedSession;
  ticketId: string;
}

/**
 * Each buyer orders one ticket once, the buyers of one ticket next to each
 * other, so that they are in flight together and really race for it.
 */
export function attemptsFor(buyers: SignedSession[], ticketIds: string[]): Attempt[] {
  const perTicket = Math.ceil(buyers.length / ticketIds.length);
  return buyers.map((buyer, i) => ({ buyer, ticketId: ticketIds[Math.floor(i / perTicket)]! }));
}

export interface RaceResult {
  requests: number;
  seconds: number;
  /** Every request's latency (201s and 400s alike), ms. */
  latencies: number[];
  statuses: Record<string, number>;
  /** Non-201 answers by status and message. */
  rejections: Record<string, number>;
  /** 201s per second of the race. */
  ordersPerSecond: number;
}
