import type { Registry } from 'prom-client';

/** What holds a durable consumer's messages in this process: a HeldPull. */
export interface MessageHolder {
  /** Publish time of the oldest message it answers for, or null when none. */
  oldestHeldTime(): Date | null;
}

/**
 * The messages each durable consumer holds in this process (delivered, not settled
 * yet), for its lag gauges. JetStream delivers a consumer's messages in stream order,
 * so the oldest of them is (almost always) the consumer's oldest unacknowledged event,
 * which a service's NATS user may not read from the stream (lag.ts).
 */
export class HeldMessages {
  private readonly holders = new Map<string, Set<MessageHolder>>();

  /** Counts `holder`'s messages as `durable`'s until the returned function is called. */
  add(durable: string, holder: MessageHolder): () => void {
    let holders = this.holders.get(durable);
    if (!holders) {
      holders = new Set();
      this.holders.set(durable, holders);
    }
    holders.add(holder);
    return () => {
      holders.delete(holder);
    };
  }

  /** Publish time of the oldest message held for `durable`, or null when none is. */
  oldestTime(durable: string): Date | null {
    let oldest: Date | null = null;
    for (const holder of this.holders.get(durable) ?? []) {
      const time = holder.oldestHeldTime();
      if (time && (!oldest || time < oldest)) oldest = time;
    }
    return oldest;
  }
}

const byRegistry = new WeakMap<Registry, HeldMessages>();

/**
 * The held messages that count in an app's /metrics: EventConsumers given that
 * registry adds its pulls, registerLagMetrics reads them. Keyed by the registry, as
 * metricOf keys metrics: openService registers the gauges before it makes the
 * consumers, and a process hosting several apps (tests, replicas) keeps one per app.
 */
export function heldMessagesOf(registry: Registry): HeldMessages {
  let held = byRegistry.get(registry);
  if (!held) {
    held = new HeldMessages();
    byRegistry.set(registry, held);
  }
  return held;
}
