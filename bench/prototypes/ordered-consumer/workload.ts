import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { createEnvelope, type EventBus, type EventEnvelope } from '@gittix/common';
import { orderCancelledData, orderCreatedData } from '@gittix/common/testing';
import { hash32 } from './hash.js';
import type { Ledger, Position } from './ledger.js';

export interface Workload {
  /** In publish order. */
  events: EventEnvelope[];
  positions: Map<string, Position>;
}

/**
 * `keys` tickets, each with one order created and then cancelled. Keys go out in
 * batches, the creations of a batch and then its cancellations, so a key's two
 * events are at most 2·batch − 1 apart (batch 1: back to back).
 */
export function orderWorkload(keys: number, batch: number): Workload {
  const events: EventEnvelope[] = [];
  const positions = new Map<string, Position>();
  const add = (event: EventEnvelope, ordinal: number, index: number) => {
    events.push(event);
    positions.set(event.id, { key: ticketOf(event), ordinal, index });
  };
  for (let first = 0; first < keys; first += batch) {
    const orders = Array.from({ length: Math.min(batch, keys - first) }, () => orderCreatedData());
    orders.forEach((order, i) => {
      add(createEnvelope('order.created', order, randomUUID()), first + i, 0);
    });
    orders.forEach((order, i) => {
      const cancelled = createEnvelope('order.cancelled', orderCancelledData(order), randomUUID());
      add(cancelled, first + i, 1);
    });
  }
  return { events, positions };
}

/** Publishes in order on one connection (JetStream stores them in that order), in windows. */
export async function publishWorkload(bus: EventBus, events: EventEnvelope[]): Promise<void> {
  for (let from = 0; from < events.length; from += 500) {
    await Promise.all(events.slice(from, from + 500).map((event) => bus.publish(event)));
  }
}

/** The key an order-family consumer serialises on: the ticket, since tickets' rules relate a ticket's orders. */
export function ticketOf(event: EventEnvelope): string {
  const data = event.data as { ticket?: { id: string } };
  if (!data.ticket) throw new Error(`${event.type} carries no ticket`);
  return data.ticket.id;
}

export interface FaultPlan {
  /** Share of events whose first one or two attempts fail. */
  transientRate: number;
  /** Every how many keys one (key 0, n, 2n, …) has a first event that always fails (0: none). */
  poisonEvery: number;
}

/**
 * Whether attempt `attempt` of an event fails: decided by the event alone, so both
 * variants meet the same failures. A transient failure takes one or two attempts.
 */
export function failsOn(
  plan: FaultPlan,
  eventId: string,
  { ordinal, index }: Position,
  attempt: number,
): boolean {
  if (plan.poisonEvery > 0 && index === 0 && ordinal % plan.poisonEvery === 0) return true;
  if (hash32(eventId) / 2 ** 32 >= plan.transientRate) return false;
  return attempt <= 1 + (hash32(`${eventId}:tries`) % 2);
}

export interface AttemptContext {
  /** 1 on the first attempt (a redelivery or an in-process retry both count). */
  attempt: number;
  /** Aborted when the process "dies": nothing may commit after that. */
  signal?: AbortSignal;
}

export type SyntheticHandler = (event: EventEnvelope, context: AttemptContext) => Promise<void>;

/**
 * The service's handler, standing in for an inbox transaction: it takes `costMs`,
 * fails as planned, and otherwise commits the event to the ledger.
 */
export function syntheticHandler(
  costMs: number,
  faults: FaultPlan,
  ledger: Ledger,
): SyntheticHandler {
  return async (event, { attempt, signal }) => {
    await delay(costMs, undefined, signal ? { signal } : {});
    if (failsOn(faults, event.id, ledger.positionOf(event.id), attempt)) {
      throw new Error(`planned failure of ${event.type} ${event.id} (attempt ${attempt})`);
    }
    signal?.throwIfAborted();
    ledger.commit(event.id);
  };
}
