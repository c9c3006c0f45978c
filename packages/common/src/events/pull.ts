import {
  type Consumer,
  type ConsumerMessages,
  type DeliveryInfo,
  JetStreamApiCodes,
  JetStreamApiError,
  JetStreamError,
  type JsMsg,
  type PullOptions,
} from '@nats-io/jetstream';
import { ClosedConnectionError, type MsgHdrs } from '@nats-io/nats-core';

export interface HeldPullOptions {
  /** Most messages held at once: delivered to this process and not acked, nak'd or terminated yet. */
  limit: number;
  /** The consumer's ack_wait: a held message is marked in progress well within it. */
  ackWaitMs: number;
  /**
   * How long a held message is kept in progress at most (a handler stuck for good):
   * past it JetStream redelivers it after ack_wait, to this process or another.
   */
  maxHoldMs?: number;
  /** How long one pull request waits for messages (nats.js' minimum is 1 s). */
  expiresMs?: number;
  /**
   * How often the server says a pull request is still waiting (JetStream's idle
   * heartbeat; at most half of `expiresMs`). Two missed, and the request is taken as
   * lost and made again: that bounds how long a request the server dropped without a
   * word leaves the consumer pulling nothing.
   */
  heartbeatMs?: number;
  /** Told when a pull request went unanswered, heartbeats included, and is made again. */
  onLostPull?: () => void;
}

/**
 * A durable consumer's messages, pulled so that every message delivered to this
 * process is in its own hands, and kept in progress until it is settled.
 *
 * JetStream starts a message's ack_wait clock when it delivers it. nats.js' `consume()`
 * keeps up to a pull's worth in a buffer of its own, out of reach: behind a slow
 * handler, the last of them waited there past ack_wait, were delivered again (a
 * duplicate, one delivery closer to dead-lettering) though no handler had failed.
 * Here each pull request (a `fetch`) is read as it arrives, never more than `limit`
 * are held (delivered, not settled; in flight included), and every held message is
 * sent `working()` (JetStream's in-progress ack, which restarts its ack_wait) every
 * quarter of ack_wait once it has been held that long.
 *
 * It also knows the publish time of the oldest message it answers for (`oldestHeldTime`):
 * the consumer's oldest unacknowledged event, which a service's NATS user may not read
 * from the stream (lag.ts).
 */
export class HeldPull implements AsyncIterable<JsMsg> {
  private readonly ready: HeldMessage[] = [];
  private readonly held = new Set<HeldMessage>();
  /** Publish times (ms) of messages given back for a retry, by stream sequence, until it is due. */
  private readonly retrying = new Map<number, { publishedMs: number; untilMs: number }>();
  private readonly fetches = new Set<ConsumerMessages>();
  /** Messages asked for by pull requests that have not arrived yet. */
  private outstanding = 0;
  private closed = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  /** After a pull request failed (the server restarting): when to ask again. */
  private retry: NodeJS.Timeout | undefined;
  private retryMs = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly tickMs: number;
  private readonly maxHoldMs: number;
  private readonly expiresMs: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: HeldPullOptions,
  ) {
    this.tickMs = Math.max(50, Math.floor(options.ackWaitMs / 4));
    this.maxHoldMs = options.maxHoldMs ?? 10 * 60_000;
    this.expiresMs = options.expiresMs ?? 30_000;
    this.heartbeatMs = Math.min(options.heartbeatMs ?? 5_000, this.expiresMs / 2);
    this.timer = setInterval(() => this.keepInProgress(), this.tickMs).unref();
    this.refill();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JsMsg> {
    for (;;) {
      const next = this.ready.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /**
   * Publish time of the oldest message this pull answers for: held (in a handler or
   * waiting for a slot), or given back with a retry delay (a failed handler's nak) until
   * that delay and an ack_wait have passed, by which time JetStream has delivered it
   * again, here or to another process. Null when there is none.
   */
  oldestHeldTime(): Date | null {
    const now = Date.now();
    let oldest = Number.POSITIVE_INFINITY;
    for (const message of this.held) oldest = Math.min(oldest, message.time.getTime());
    for (const retry of this.retrying.values()) {
      if (retry.untilMs >= now) oldest = Math.min(oldest, retry.publishedMs);
    }
    return Number.isFinite(oldest) ? new Date(oldest) : null;
  }

  /** Stops pulling; messages not handed out yet are given back at once (nak). */
  async close(): Promise<void> {
    this.end();
  }

  private end(failure?: { error: unknown }): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = failure;
    for (const message of this.ready.splice(0)) message.nak();
    for (const fetch of this.fetches) fetch.stop();
    clearTimeout(this.retry);
    this.wakeUp();
    this.stopWhenIdle();
  }

  /** Asks for more once a quarter of `limit` is free (as nats.js' consume does), or when idle. */
  private refill(): void {
    if (this.closed || this.retry) return;
    const room = this.options.limit - this.held.size - this.outstanding;
    const idle = this.held.size + this.outstanding === 0;
    if (room <= 0 || (!idle && room < Math.ceil(this.options.limit / 4))) return;
    this.outstanding += room;
    void this.pull(room);
  }

  private async pull(batch: number): Promise<void> {
    let received = 0;
    let messages: ConsumerMessages | undefined;
    try {
      // nats.js' own heartbeat would be half the expiry: 15 s, so a request lost
      // stalled the consumer up to 30 s (docs/fuzzing.md, finding #13).
      messages = await this.consumer.fetch({
        max_messages: batch,
        expires: this.expiresMs,
        idle_heartbeat: this.heartbeatMs,
      });
      this.fetches.add(messages);
      for await (const message of messages) {
        // A request re-sent after a reconnect may bring more than asked.
        if (++received <= batch) this.outstanding--;
        this.retryMs = 0;
        this.hold(message);
      }
    } catch (error) {
      if (isGone(error)) {
        // The consumer's owner makes it again (EventConsumers' loop) and pulls anew.
        this.end({ error });
      } else {
        if (isHeartbeatMissed(error)) this.options.onLostPull?.();
        this.retryMs = Math.min(Math.max(200, this.retryMs * 2), 5_000);
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.refill();
        }, this.retryMs).unref();
      }
    } finally {
      if (messages) this.fetches.delete(messages);
      this.outstanding -= Math.max(0, batch - received);
      this.refill();
    }
  }

  private hold(message: JsMsg): void {
    if (this.closed) {
      message.nak();
      return;
    }
    const held: HeldMessage = new HeldMessage(message, (retryInMs) =>
      this.release(held, retryInMs),
    );
    this.retrying.delete(message.info.streamSequence);
    this.held.add(held);
    this.ready.push(held);
    this.wakeUp();
  }

  private release(message: HeldMessage, retryInMs: number | undefined): void {
    if (!this.held.delete(message)) return;
    if (retryInMs && !this.closed) {
      this.retrying.set(message.info.streamSequence, {
        publishedMs: message.time.getTime(),
        untilMs: Date.now() + retryInMs + this.options.ackWaitMs,
      });
    }
    this.refill();
    this.stopWhenIdle();
  }

  /** Every message held a tick or more, so none goes a whole ack_wait without one; retries past due forgotten. */
  private keepInProgress(): void {
    const now = Date.now();
    for (const [seq, retry] of this.retrying) if (retry.untilMs < now) this.retrying.delete(seq);
    for (const message of this.held) {
      const heldMs = now - message.heldSince;
      if (heldMs < this.tickMs || heldMs > this.maxHoldMs) continue;
      try {
        message.working();
      } catch {
        // The connection closed: the message comes again, and is handled once.
      }
    }
  }

  private stopWhenIdle(): void {
    if (this.closed && this.held.size === 0) clearInterval(this.timer);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * A delivered message that tells its pull when it is settled (acked, nak'd or
 * terminated), and in how long a nak asked for it again.
 */
class HeldMessage implements JsMsg {
  readonly heldSince = Date.now();

  constructor(
    private readonly message: JsMsg,
    private readonly settled: (retryInMs?: number) => void,
  ) {}

  get redelivered(): boolean {
    return this.message.redelivered;
  }
  get info(): DeliveryInfo {
    return this.message.info;
  }
  get seq(): number {
    return this.message.seq;
  }
  get headers(): MsgHdrs | undefined {
    return this.message.headers;
  }
  get data(): Uint8Array {
    return this.message.data;
  }
  get subject(): string {
    return this.message.subject;
  }
  get sid(): number {
    return this.message.sid;
  }
  get time(): Date {
    return this.message.time;
  }
  get timestamp(): string {
    return this.message.timestamp;
  }
  get timestampNanos(): bigint {
    return this.message.timestampNanos;
  }
  ack(): void {
    this.settle(() => this.message.ack());
  }
  nak(millis?: number): void {
    this.settle(() => this.message.nak(millis), millis);
  }
  term(reason?: string): void {
    this.settle(() => this.message.term(reason));
  }
  next(subject: string, options?: Partial<PullOptions>): void {
    this.settle(() => this.message.next(subject, options));
  }
  ackAck(options?: Partial<{ timeout: number }>): Promise<boolean> {
    return this.message.ackAck(options).finally(() => this.settled());
  }
  working(): void {
    this.message.working();
  }
  json<T>(): T {
    return this.message.json<T>();
  }
  string(): string {
    return this.message.string();
  }

  /** Settled even when sending fails (the connection closed): JetStream redelivers it then. */
  private settle(send: () => void, retryInMs?: number): void {
    try {
      send();
    } finally {
      this.settled(retryInMs);
    }
  }
}

/** nats.js ends a fetch so when two of its heartbeats did not come. */
function isHeartbeatMissed(error: unknown): boolean {
  return error instanceof JetStreamError && error.message === 'heartbeats missed';
}

/** What a new pull request cannot get past: the consumer or its stream is gone, or the connection. */
function isGone(error: unknown): boolean {
  if (error instanceof ClosedConnectionError) return true;
  if (error instanceof JetStreamApiError) {
    return (
      error.code === JetStreamApiCodes.ConsumerNotFound ||
      error.code === JetStreamApiCodes.StreamNotFound
    );
  }
  return error instanceof Error && /(consumer|stream) (deleted|not found)/i.test(error.message);
}
