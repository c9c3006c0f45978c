import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { type EventBus, FOLLOWING_CONSUME } from '../events/bus.js';
import { type EventData, parseEnvelope } from '../events/contracts.js';

/** What a verified token says about its session, as the revocation check needs it. */
export interface SessionClaims {
  userId: string;
  sessionId: string;
  /** The token's `iat`, in seconds. */
  issuedAt: number;
}

interface UserCutoff {
  issuedBeforeMs: number;
  exceptSessionId: string | null;
  expiresAtMs: number;
}

export interface RevokedSessionsOptions {
  /** How long the initial load may take before the service refuses to start. */
  loadTimeoutMs?: number;
  /** Entries past their expiry are dropped this often. */
  pruneIntervalMs?: number;
}

/**
 * The sessions that ended before their tokens expire, kept in memory by every
 * process that verifies sessions, so a check costs a map lookup and no database
 * round trip. Auth publishes each revocation as `session.revoked` (through its
 * outbox); JetStream copies that subject into the `<stream>_SESSIONS` stream, kept
 * longer than any token lives, and each process reads it from the start (an
 * ordered consumer: no durable state, every replica sees every revocation), then
 * follows it. Until the first read reached the end, every token counts as revoked:
 * a process that cannot load the list refuses sessions rather than accept ended ones.
 */
export class RevokedSessions {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, UserCutoff[]>();
  private loaded = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopConsuming: (() => Promise<void>) | undefined;

  constructor(private readonly logger?: Logger) {}

  /** Loads the stream's revocations, then follows it; throws when it cannot load in time. */
  static async open(
    bus: EventBus,
    logger: Logger,
    options: RevokedSessionsOptions = {},
  ): Promise<RevokedSessions> {
    const revoked = new RevokedSessions(logger);
    await revoked.follow(bus, options.loadTimeoutMs ?? 15_000);
    revoked.pruneTimer = setInterval(() => revoked.prune(), options.pruneIntervalMs ?? 60_000);
    revoked.pruneTimer.unref();
    return revoked;
  }

  /** A list that is loaded and empty: for verifiers whose tokens no event can end (tests). */
  static empty(): RevokedSessions {
    const revoked = new RevokedSessions();
    revoked.loaded = true;
    return revoked;
  }

  get ready(): boolean {
    return this.loaded;
  }

  /** Records one revocation (from the stream, or at once by auth, which made it). */
  apply(revocation: EventData<'session.revoked'>, now = Date.now()): void {
    const expiresAtMs = Date.parse(revocation.expiresAt);
    if (expiresAtMs <= now) return;
    if (revocation.sessionId) {
      const known = this.sessions.get(revocation.sessionId) ?? 0;
      this.sessions.set(revocation.sessionId, Math.max(known, expiresAtMs));
    }
    if (revocation.issuedBefore) {
      const cutoffs = this.users.get(revocation.userId) ?? [];
      cutoffs.push({
        issuedBeforeMs: Date.parse(revocation.issuedBefore),
        exceptSessionId: revocation.exceptSessionId,
        expiresAtMs,
      });
      this.users.set(revocation.userId, cutoffs);
    }
  }

  /** True when the session has ended, or when the list is not loaded yet (fail closed). */
  isRevoked(claims: SessionClaims): boolean {
    if (!this.loaded) return true;
    if (this.sessions.has(claims.sessionId)) return true;
    const cutoffs = this.users.get(claims.userId);
    if (!cutoffs) return false;
    return cutoffs.some(
      (cutoff) =>
        claims.sessionId !== cutoff.exceptSessionId &&
        claims.issuedAt * 1000 < cutoff.issuedBeforeMs,
    );
  }

  /** How many revocations are held: for metrics and tests. */
  get size(): number {
    let cutoffs = 0;
    for (const list of this.users.values()) cutoffs += list.length;
    return this.sessions.size + cutoffs;
  }

  /** Forgets revocations whose tokens have expired anyway. */
  prune(now = Date.now()): void {
    for (const [id, expiresAtMs] of this.sessions) {
      if (expiresAtMs <= now) this.sessions.delete(id);
    }
    for (const [userId, cutoffs] of this.users) {
      const live = cutoffs.filter((cutoff) => cutoff.expiresAtMs > now);
      if (live.length === 0) this.users.delete(userId);
      else this.users.set(userId, live);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.stopConsuming?.();
  }

  private applyMessage(message: JsMsg): void {
    try {
      this.apply(parseEnvelope('session.revoked', message.json()).data);
    } catch (error) {
      // A malformed revocation ends no session; auth only ever publishes valid ones.
      this.logger?.warn({ err: error, seq: message.seq }, 'ignored a malformed session.revoked');
    }
  }

  private async follow(bus: EventBus, loadTimeoutMs: number): Promise<void> {
    const stream = bus.sessionsStream;
    const { state } = await bus.jsm.streams.info(stream);
    const lastSeq = state.last_seq;
    const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    // A lost pull request delays a revocation by 4-6 s, not 30.
    const messages = await consumer.consume(FOLLOWING_CONSUME);
    this.stopConsuming = async () => {
      await messages.close();
    };
    let caughtUp: () => void = () => {};
    const loadedOnce = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (lastSeq === 0 || state.messages === 0) caughtUp();
    void (async () => {
      for await (const message of messages) {
        this.applyMessage(message);
        if (message.seq >= lastSeq || message.info.pending === 0) caughtUp();
      }
    })().catch((error: unknown) => {
      this.logger?.error({ err: error }, 'stopped following session revocations');
    });

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Could not load the session revocations of ${stream} in time`)),
        loadTimeoutMs,
      );
    });
    try {
      await Promise.race([loadedOnce, timedOut]);
    } catch (error) {
      await messages.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.loaded = true;
  }
}
