import {
  type DeadLetterRecord,
  type EventBus,
  type EventEnvelope,
  isSubject,
  parseEnvelope,
} from '@gittix/common';
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { hash32 } from './hash.js';
import { KeyQueues } from './key-queues.js';
import type { SyntheticHandler } from './workload.js';

/** Where the service keeps keys whose earlier event was dead-lettered (its database). */
export interface ParkedKeys {
  isParked(key: string): boolean;
  park(key: string): void;
}

export interface FamilyConsumerOptions {
  bus: EventBus;
  /** First subject token: the consumer filters `<prefix>.<family>.>`. */
  family: string;
  durable: string;
  keyOf: (event: EventEnvelope) => string;
  handle: SyntheticHandler;
  parked: ParkedKeys;
  /** Events handled at once. */
  concurrency: number;
  /**
   * `key`: one queue per key, so a retry holds back only its key's later events;
   * `lane`: the key's hash picks one of `concurrency` lanes, which a retry blocks whole.
   */
  queueBy?: 'key' | 'lane';
  maxAttempts?: number;
  ackWaitMs?: number;
  /** Messages held (queued or being handled) at most: the consumer's max_ack_pending. */
  maxHeld?: number;
}

interface Delivery {
  message: JsMsg;
  event: EventEnvelope;
  key: string;
  attempts: number;
  /** Set once it is to be dead-lettered; kept while writing the record is retried. */
  failure?: unknown;
}

const retryDelayMs = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 10_000);

/**
 * One durable consumer for a whole entity family, handled in order per key. A
 * failure is retried in process (`working()` keeps the ack timer alive), so
 * nothing later of that key passes it; after `maxAttempts` it is dead-lettered and
 * its key parked, so the key's later events follow it to the dead letters in order.
 *
 * Correct only while one process owns the durable: `start({ rewind: true })`
 * recreates it at its ack floor, because after a crash the server delivers a key's
 * later events before it redelivers the earlier ones the dead process held.
 */
export class FamilyConsumer {
  private readonly maxAttempts: number;
  private readonly ackWaitMs: number;
  private readonly maxHeld: number;
  private readonly queues: KeyQueues<Delivery>;
  private readonly held = new Set<JsMsg>();
  /** The process died: handlers must not commit, nothing is acked. */
  private readonly death = new AbortController();
  private halted = false;
  private messages: ConsumerMessages | undefined;
  private pulling: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private room: (() => void) | undefined;

  constructor(private readonly options: FamilyConsumerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.maxHeld = options.maxHeld ?? 1_000;
    this.queues = new KeyQueues(options.concurrency, (delivery) => this.settle(delivery));
  }

  async start({ rewind }: { rewind: boolean }): Promise<void> {
    await (rewind ? this.rewindToAckFloor() : this.ensureConsumer());
    const { bus, durable } = this.options;
    const consumer = await bus.js.consumers.get(bus.stream, durable);
    this.messages = await consumer.consume({ max_messages: 64 });
    // Messages queued behind a retry age too: keep every held one alive.
    this.heartbeat = setInterval(() => {
      for (const message of this.held) message.working();
    }, this.ackWaitMs / 3);
    this.pulling = this.pull(this.messages);
  }

  /** Stops pulling; the events being handled finish. What is left is redelivered after a rewind. */
  async stop(): Promise<void> {
    this.halt();
    await this.messages?.close();
    await this.pulling;
    await this.queues.halt();
  }

  /** As a killed process: nothing commits, acks or naks from now on. */
  async crash(): Promise<void> {
    this.death.abort();
    this.halt();
    await this.options.bus.nc.close();
    await this.queues.halt();
  }

  private halt(): void {
    this.halted = true;
    this.room?.();
    clearInterval(this.heartbeat);
  }

  private config(): Partial<ConsumerConfig> & { durable_name: string } {
    const { bus, durable, family } = this.options;
    return {
      durable_name: durable,
      filter_subject: `${bus.options.subjectPrefix}.${family}.>`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.ackWaitMs),
      max_ack_pending: this.maxHeld,
      max_deliver: -1,
    };
  }

  private async ensureConsumer(): Promise<void> {
    const { jsm, stream } = this.options.bus;
    const config = this.config();
    try {
      await jsm.consumers.add(stream, config);
    } catch {
      await jsm.consumers.update(stream, config.durable_name, config);
    }
  }

  /**
   * Recreates the durable just after its ack floor, so everything not acked comes
   * again in stream order (handled ones above the floor are duplicates for the
   * inbox). NATS 2.9 has no consumer reset: delete and add.
   */
  private async rewindToAckFloor(): Promise<void> {
    const { jsm, stream } = this.options.bus;
    const config = this.config();
    const info = await jsm.consumers.info(stream, config.durable_name).catch((error) => {
      const missing =
        error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;
      if (missing) return undefined;
      throw error;
    });
    const floor = info?.ack_floor.stream_seq ?? 0;
    if (info) await jsm.consumers.delete(stream, config.durable_name);
    await jsm.consumers.add(
      stream,
      floor === 0
        ? config
        : { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 },
    );
  }

  private queueOf(key: string): string {
    if (this.options.queueBy === 'lane') return `lane-${hash32(key) % this.options.concurrency}`;
    return key;
  }

  private async pull(messages: ConsumerMessages): Promise<void> {
    const prefix = `${this.options.bus.options.subjectPrefix}.`;
    for await (const message of messages) {
      if (this.halted) continue;
      const subject = message.subject.slice(prefix.length);
      let event: EventEnvelope;
      let key: string;
      try {
        if (!isSubject(subject)) throw new Error(`unknown subject ${message.subject}`);
        event = parseEnvelope(subject, message.json());
        key = this.options.keyOf(event);
      } catch (error) {
        // No key, so no order to keep: if even this fails, it is redelivered.
        await this.deadLetter(message, error).catch(() => {});
        continue;
      }
      this.held.add(message);
      this.queues.push(this.queueOf(key), { message, event, key, attempts: 0 });
      while (this.held.size >= this.maxHeld && !this.halted) {
        await new Promise<void>((resolve) => {
          this.room = resolve;
        });
      }
    }
  }

  /** One attempt at a key's oldest event; see KeyQueues. */
  private async settle(delivery: Delivery): Promise<number | undefined> {
    const retryInMs = await this.attempt(delivery);
    if (retryInMs === undefined) {
      this.held.delete(delivery.message);
      this.room?.();
    }
    return retryInMs;
  }

  private async attempt(delivery: Delivery): Promise<number | undefined> {
    const { handle, parked } = this.options;
    const { message, event, key } = delivery;
    if (delivery.failure === undefined && parked.isParked(key)) {
      delivery.failure = new Error(`an earlier event of ${key} was dead-lettered`);
    }
    if (delivery.failure === undefined) {
      delivery.attempts++;
      try {
        await handle(event, { attempt: delivery.attempts, signal: this.death.signal });
        if (!this.death.signal.aborted) message.ack();
        return undefined;
      } catch (error) {
        // Stopping or dead: nothing more is decided; the next start rewinds to it.
        if (this.halted || delivery.attempts < this.maxAttempts) {
          return retryDelayMs(delivery.attempts);
        }
        parked.park(key);
        delivery.failure = error;
      }
    }
    try {
      await this.deadLetter(message, delivery.failure);
      return undefined;
    } catch {
      // The record must exist before the key's next event goes: try again.
      return retryDelayMs(this.maxAttempts);
    }
  }

  private async deadLetter(message: JsMsg, error: unknown): Promise<void> {
    const { bus, durable } = this.options;
    const record: DeadLetterRecord = {
      consumer: durable,
      subject: message.subject,
      streamSeq: message.info.streamSequence,
      deliveries: message.info.deliveryCount,
      error: error instanceof Error ? error.message : String(error),
      failedAt: new Date().toISOString(),
      payload: message.string(),
    };
    // The same message dead-lettered again after a rewind is one record (Nats-Msg-Id).
    await bus.js.publish(bus.deadLetterSubjectOf(durable), JSON.stringify(record), {
      msgID: `${durable}-${record.streamSeq}`,
    });
    message.term();
  }
}
