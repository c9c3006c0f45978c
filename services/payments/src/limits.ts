import { TooManyRequestsError } from '@gittix/common';

export interface PaymentLimitsOptions {
  perMinute: number;
  maxInFlightPerUser: number;
  maxInFlight: number;
  now?: () => number;
}

/**
 * Abuse limits of POST /api/payments, per replica: a sliding one-minute window of
 * calls per user, and a cap on requests in flight per user and in all, so one
 * user's parallel payments hold at most a few of the connections of the payments
 * pool and never the ones readiness and other buyers need.
 */
export class PaymentLimits {
  private readonly calls = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly now: () => number;

  constructor(private readonly options: PaymentLimitsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Runs `work` for `userId` within the limits, or throws 429. */
  async run<T>(userId: string, work: () => Promise<T>): Promise<T> {
    this.admit(userId);
    this.inFlight.set(userId, (this.inFlight.get(userId) ?? 0) + 1);
    this.total++;
    try {
      return await work();
    } finally {
      this.total--;
      const left = (this.inFlight.get(userId) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, left);
    }
  }

  private admit(userId: string) {
    const now = this.now();
    const recent = (this.calls.get(userId) ?? []).filter((at) => at > now - 60_000);
    if (recent.length >= this.options.perMinute) {
      this.calls.set(userId, recent);
      throw new TooManyRequestsError('Too many payment attempts, try again in a minute');
    }
    if ((this.inFlight.get(userId) ?? 0) >= this.options.maxInFlightPerUser) {
      throw new TooManyRequestsError('A payment of yours is in progress, try again shortly');
    }
    if (this.total >= this.options.maxInFlight) {
      throw new TooManyRequestsError('Too many payments in progress, try again shortly');
    }
    recent.push(now);
    this.calls.set(userId, recent);
    this.prune(now);
  }

  /** Forgets users with no call in the last minute, so the map stays small. */
  private prune(now: number) {
    if (this.calls.size < 10_000) return;
    for (const [userId, times] of this.calls) {
      if (times.every((at) => at <= now - 60_000)) this.calls.delete(userId);
    }
  }
}
