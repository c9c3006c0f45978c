import type { EventBus, EventEnvelope } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { readStream } from '@gittix/events-cli/read-stream';
import { stopChild } from '../../scripts/system/children.js';
import { postTicket } from '../harness/api.js';
import { forkReady } from '../harness/helper-process.js';
import type { SignedSession } from '../harness/sessions.js';
import { PROBE_TITLE } from './triggers.js';

/** The two hops of each probe ticket's propagation, split where JetStream stored it, ms. */
export interface PropagationHops {
  /** Committed in tickets → stored by JetStream: tickets' outbox relay. */
  relay: number[];
  /** Stored by JetStream → its replica row committed in orders: orders' consumer. */
  consumer: number[];
}

export interface PropagationResult {
  /** Probe tickets listed while measuring. */
  tickets: number;
  /** Ticket committed in tickets → replica row committed in orders, per ticket, ms. */
  latencies: number[];
  hops: PropagationHops;
}

interface Heard {
  committed: Array<[string, number]>;
  replicated: Array<[string, number]>;
  wallToObserver: number;
}

/** When JetStream stored each listed ticket's ticket.created, wall clock ms. */
async function storedAt(bus: EventBus, ids: string[]): Promise<Map<string, number>> {
  const wanted = new Set(ids);
  const stored = new Map<string, number>();
  for (const message of await readStream(bus.js, bus.stream, bus.subjectOf('ticket.created'))) {
    const id = message.json<EventEnvelope<'ticket.created'>>().data.id;
    if (wanted.has(id)) stored.set(id, message.info.timestampNanos / 1e6);
  }
  return stored;
}

/**
 * ticket.created propagation, tickets database → orders replica: lists probe
 * tickets through the gateway at a steady rate while something else runs,
 * and reads the commit and replica-commit times the observer heard.
 */
export async function startPropagationProbe(options: {
  baseUrl: string;
  seller: SignedSession;
  ticketsDatabaseUrl: string;
  ordersDatabaseUrl: string;
  /** Probe tickets per second. */
  rate: number;
  /** The system's stream, read back for when each probe's ticket.created was stored. */
  bus: EventBus;
}) {
  const observer = await forkReady(new URL('./observer.ts', import.meta.url), {
    TICKETS_DATABASE_URL: options.ticketsDatabaseUrl,
    ORDERS_DATABASE_URL: options.ordersDatabaseUrl,
  });
  let serial = 0;

  const collect = () =>
    new Promise<Heard>((resolve) => {
      observer.once('message', (message) => resolve(message as Heard));
      observer.send('collect');
    });

  return {
    pid: observer.pid!,
    /** Lists probe tickets at the rate until `during` settles, then waits for them all to replicate. */
    async measure(during: Promise<unknown>): Promise<PropagationResult> {
      // Each listing's outcome is caught as it settles: one refused listing must not
      // crash the run as an unhandled rejection while the loop is still sending.
      const ids: Promise<{ id: string } | { error: unknown }>[] = [];
      let done = false;
      const finished = during.finally(() => {
        done = true;
      });
      const started = performance.now();
      for (let i = 0; !done; i++) {
        ids.push(
          postTicket(options.baseUrl, options.seller, `${PROBE_TITLE}${serial++}`).then(
            (id) => ({ id }),
            (error: unknown) => ({ error }),
          ),
        );
        const wait = started + ((i + 1) * 1000) / options.rate - performance.now();
        if (wait > 0) await Promise.race([finished, new Promise((r) => setTimeout(r, wait))]);
      }
      await finished;
      const outcomes = await Promise.all(ids);
      const failed = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
      if (failed.length > 0) {
        throw new Error(`${failed.length} probe listings failed; the first: ${String(failed[0])}`);
      }
      const listed = outcomes.flatMap((o) => ('id' in o ? [o.id] : []));
      let heard: Heard = { committed: [], replicated: [], wallToObserver: 0 };
      const committed = new Map<string, number>();
      const replicated = new Map<string, number>();
      await waitFor(
        async () => {
          heard = await collect();
          for (const [id, at] of heard.committed) committed.set(id, at);
          for (const [id, at] of heard.replicated) replicated.set(id, at);
          return listed.every((id) => committed.has(id) && replicated.has(id));
        },
        { timeoutMs: 120_000, intervalMs: 100, message: 'probe tickets in the orders replica' },
      );
      // Every probe's ticket.created is in the stream once its replica row is.
      const stored = await storedAt(options.bus, listed);
      const missing = listed.filter((id) => !stored.has(id));
      if (missing.length > 0) throw new Error(`ticket.created of ${missing[0]} not in the stream`);
      const storedHere = (id: string) => stored.get(id)! + heard.wallToObserver;
      return {
        tickets: listed.length,
        latencies: listed.map((id) => replicated.get(id)! - committed.get(id)!),
        hops: {
          relay: listed.map((id) => storedHere(id) - committed.get(id)!),
          consumer: listed.map((id) => replicated.get(id)! - storedHere(id)),
        },
      };
    },
    stop: () => stopChild(observer),
  };
}

export type PropagationProbe = Awaited<ReturnType<typeof startPropagationProbe>>;
