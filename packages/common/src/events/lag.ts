import type { ConsumerInfo, MsgRequest } from '@nats-io/jetstream';
import { PermissionViolationError } from '@nats-io/nats-core';
import { Gauge, type Registry } from 'prom-client';
import { scrapeReading } from '../metrics/scrape-reading.js';
import type { EventBus } from './bus.js';
import { registerDeadLetterMetrics } from './dead-letters.js';
import { heldMessagesOf } from './held-messages.js';

/** How far a durable consumer is behind, and how close its oldest event is to falling out of the stream. */
export interface ConsumerLag {
  consumer: string;
  /** Not delivered yet. */
  pending: number;
  /** Delivered, not acknowledged yet. */
  ackPending: number;
  /** pending + ackPending: events the consumer has not finished with. */
  lag: number;
  /** Delivered more than once and not acknowledged yet. */
  redelivered: number;
  /** Age of the oldest event it has not acknowledged (null when it has none). */
  oldestUnackedAgeSeconds: number | null;
}

/** Buses whose NATS user may not read the stream's messages (a service's): not asked again. */
const refusedMessageGet = new WeakSet<EventBus>();

function isPermissionViolation(error: unknown): boolean {
  return (
    error instanceof PermissionViolationError ||
    (error instanceof Error && error.cause instanceof PermissionViolationError)
  );
}

/**
 * The oldest message of the consumer's subject after its ack floor: the first
 * event it has not finished with. Asked with `next_by_subj`, which the server's
 * message-get API takes (the client's type names only seq and last_by_subj).
 * A service's own user may not ask (it would read every subject's payloads:
 * permissions.ts); once refused, the bus does not ask again, since each refusal
 * is an error in the server's log.
 */
async function oldestStreamTime(bus: EventBus, info: ConsumerInfo): Promise<Date | null> {
  if (info.num_pending + info.num_ack_pending === 0 || refusedMessageGet.has(bus)) return null;
  const query = {
    seq: info.ack_floor.stream_seq + 1,
    next_by_subj: info.config.filter_subject ?? '>',
  } as unknown as MsgRequest;
  try {
    const message = await bus.jsm.streams.getMessage(info.stream_name, query);
    return message?.time ?? null;
  } catch (error) {
    if (isPermissionViolation(error)) refusedMessageGet.add(bus);
    return null;
  }
}

/**
 * Where the age of a consumer's oldest unacked event comes from, besides the stream:
 * the publish time of the oldest message this process holds for it (HeldMessages).
 */
export type OldestHeldTime = (durable: string) => Date | null;

/**
 * The consumer's lag. Its oldest unacked event is the older of the stream's answer
 * (when the bus's user may read messages: the admin, a server without users) and
 * `oldestHeld`'s, the messages this process holds: a service's user gets only the
 * latter, so each replica reports the oldest it holds and the alert takes the max.
 */
export async function consumerLag(
  bus: EventBus,
  info: ConsumerInfo,
  oldestHeld: OldestHeldTime = () => null,
): Promise<ConsumerLag> {
  const times = [await oldestStreamTime(bus, info), oldestHeld(info.name)];
  const oldest = Math.min(...times.map((time) => time?.getTime() ?? Number.POSITIVE_INFINITY));
  return {
    consumer: info.name,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    lag: info.num_pending + info.num_ack_pending,
    redelivered: info.num_redelivered,
    oldestUnackedAgeSeconds: Number.isFinite(oldest)
      ? Math.max(0, (Date.now() - oldest) / 1000)
      : null,
  };
}

/** The lag of the named durable consumers of the bus's stream (a missing one is left out). */
export async function consumersLag(
  bus: EventBus,
  durables: string[],
  oldestHeld?: OldestHeldTime,
): Promise<ConsumerLag[]> {
  const lags: ConsumerLag[] = [];
  for (const durable of durables) {
    let info: ConsumerInfo;
    try {
      info = await bus.jsm.consumers.info(bus.stream, durable);
    } catch {
      continue;
    }
    lags.push(await consumerLag(bus, info, oldestHeld));
  }
  return lags;
}

/**
 * Consumer lag in a service's /metrics, read from JetStream at each scrape:
 * `gittix_consumer_lag_messages` and `gittix_consumer_oldest_unacked_age_seconds`
 * per durable consumer, and the stream's `gittix_stream_max_age_seconds`, so an
 * alert can fire (oldest age past half the max age) long before an event is lost;
 * and the consumers' dead letters waiting (registerDeadLetterMetrics). The oldest
 * age also counts the messages the EventConsumers given this registry hold.
 */
export function registerLagMetrics(registry: Registry, bus: EventBus, durables: string[]): void {
  registerDeadLetterMetrics(registry, bus, durables);
  const held = heldMessagesOf(registry);
  const oldestHeld: OldestHeldTime = (durable) => held.oldestTime(durable);
  // One JetStream round per scrape, shared by the gauges below (and by a second
  // scrape within 500 ms).
  const reading = scrapeReading(
    async () => {
      const [lags, stream] = await Promise.all([
        consumersLag(bus, durables, oldestHeld),
        bus.jsm.streams.info(bus.stream).catch(() => undefined),
      ]);
      return { lags, maxAgeSeconds: stream ? stream.config.max_age / 1e9 : null };
    },
    { reuseMs: 500 },
  );
  const read = async () => (await reading()) ?? { lags: [], maxAgeSeconds: null };
  new Gauge({
    name: 'gittix_consumer_lag_messages',
    help: 'Events a durable consumer has not finished with (pending + ack pending)',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const lag of (await read()).lags) this.labels(lag.consumer).set(lag.lag);
    },
  });
  new Gauge({
    name: 'gittix_consumer_oldest_unacked_age_seconds',
    help: 'Age of the oldest event a durable consumer has not acknowledged, read from the stream or from the messages this process holds (0 when it sees none): take the max over replicas',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const lag of (await read()).lags) {
        this.labels(lag.consumer).set(lag.oldestUnackedAgeSeconds ?? 0);
      }
    },
  });
  new Gauge({
    name: 'gittix_consumer_redelivered_messages',
    help: 'Events a durable consumer has been given more than once and not acknowledged yet',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const lag of (await read()).lags) this.labels(lag.consumer).set(lag.redelivered);
    },
  });
  new Gauge({
    name: 'gittix_stream_max_age_seconds',
    help: 'How long the event stream keeps an event: an unacknowledged event older than this is lost',
    registers: [registry],
    async collect() {
      const { maxAgeSeconds } = await read();
      if (maxAgeSeconds !== null) this.set(maxAgeSeconds);
    },
  });
}
