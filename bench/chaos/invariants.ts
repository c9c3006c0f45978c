import { durableName } from '@gittix/common';
import type { Acknowledged } from './load.js';
import { EVENT_DATABASES, type EventDatabase, type OrderRow, type Snapshot } from './snapshot.js';
import type { StreamMessage } from './stream.js';

export interface InvariantResult {
  name: string;
  pass: boolean;
  /** What was counted, e.g. "1,204 orders checked". */
  summary: string;
  /** The first violations found (each names the ids involved). */
  violations: string[];
  /** How many violations there were in all. */
  violationCount: number;
}

/** Who consumes each subject, and how their handling is recorded. */
export const CONSUMERS: Record<string, Array<EventDatabase | 'expiration'>> = {
  'ticket.created': ['orders'],
  'ticket.updated': ['orders'],
  'order.created': ['tickets', 'payments', 'expiration'],
  'order.cancelled': ['tickets', 'payments', 'expiration'],
  'expiration.complete': ['orders'],
  'payment.created': ['orders'],
  'order.completed': ['payments'],
};

const LIVE = new Set(['created', 'awaiting:payment', 'complete']);
const SHOWN = 8;

class Violations {
  readonly list: string[] = [];
  add(line: string) {
    this.list.push(line);
  }
  result(name: string, summary: string): InvariantResult {
    return {
      name,
      pass: this.list.length === 0,
      summary,
      violations: this.list.slice(0, SHOWN),
      violationCount: this.list.length,
    };
  }
}

function index<T, K>(rows: T[], key: (row: T) => K): Map<K, T> {
  return new Map(rows.map((row) => [key(row), row]));
}

/** Every order ended complete or cancelled, and orders, tickets and payments agree on it. */
export function finalStates(s: Snapshot): InvariantResult {
  const v = new Violations();
  const tickets = index(s.tickets, (t) => t.id);
  const paymentByOrder = index(s.payments, (p) => p.order_id);
  const replica = index(s.paymentsOrderReplica, (o) => o.id);
  for (const order of s.orders) {
    const ticket = tickets.get(order.ticket_id);
    const payment = paymentByOrder.get(order.id);
    if (order.status === 'complete') {
      if (!payment) v.add(`order ${order.id} complete without a payment`);
      else if (payment.status !== 'captured')
        v.add(`order ${order.id} complete but its payment ${payment.id} is ${payment.status}`);
      else if (order.payment_id !== payment.id)
        v.add(
          `order ${order.id} complete with payment ${order.payment_id}, payments has ${payment.id}`,
        );
      if (ticket?.order_id !== order.id)
        v.add(
          `order ${order.id} complete but ticket ${order.ticket_id} is held by ${ticket?.order_id ?? 'nobody'}`,
        );
    } else if (order.status === 'cancelled') {
      if (ticket?.order_id === order.id)
        v.add(`order ${order.id} cancelled but still holds ticket ${order.ticket_id}`);
      // The authorization of a cancelled order is voided: the buyer was never charged.
      if (payment && payment.status !== 'voided')
        v.add(`order ${order.id} cancelled but payment ${payment.id} is ${payment.status}`);
      if (replica.get(order.id)?.status !== 'cancelled')
        v.add(
          `order ${order.id} cancelled but payments' replica says ${replica.get(order.id)?.status ?? 'nothing'}`,
        );
    } else {
      v.add(
        `order ${order.id} still ${order.status} after its hold ended (${order.expires_at.toISOString()})`,
      );
    }
  }
  const by = countBy(s.orders, (o) => o.status);
  return v.result(
    'Every order reached a consistent final state (orders, tickets, payments agree)',
    `${s.orders.length} orders: ${formatCounts(by)}`,
  );
}

/** At most one live order per ticket, and the ticket names exactly that order. */
export function singleHolder(s: Snapshot): InvariantResult {
  const v = new Violations();
  const liveByTicket = new Map<string, OrderRow[]>();
  for (const order of s.orders) {
    if (!LIVE.has(order.status)) continue;
    const list = liveByTicket.get(order.ticket_id) ?? [];
    list.push(order);
    liveByTicket.set(order.ticket_id, list);
  }
  for (const [ticketId, live] of liveByTicket) {
    if (live.length > 1)
      v.add(
        `ticket ${ticketId} has ${live.length} live orders: ${live.map((o) => o.id).join(', ')}`,
      );
  }
  for (const ticket of s.tickets) {
    const live = liveByTicket.get(ticket.id)?.[0];
    if ((live?.id ?? null) !== ticket.order_id)
      v.add(
        `ticket ${ticket.id} held by ${ticket.order_id ?? 'nobody'}, live order is ${live?.id ?? 'none'}`,
      );
  }
  const held = s.tickets.filter((t) => t.order_id).length;
  return v.result(
    'No ticket reserved by two live orders; tickets.orderId is the single live order',
    `${s.tickets.length} tickets, ${held} held, ${liveByTicket.size} with a live order`,
  );
}

/** The orders service's ticket replica and payments' order replica converged. */
export function replicasConverged(s: Snapshot): InvariantResult {
  const v = new Violations();
  const replica = index(s.ordersTicketReplica, (t) => t.id);
  for (const ticket of s.tickets) {
    const copy = replica.get(ticket.id);
    if (!copy) v.add(`ticket ${ticket.id} never reached the orders service`);
    else if (copy.version !== ticket.version || copy.order_id !== ticket.order_id)
      v.add(
        `ticket ${ticket.id}: tickets has v${ticket.version} held by ${ticket.order_id}, orders' replica v${copy.version} held by ${copy.order_id}`,
      );
  }
  const paymentsReplica = index(s.paymentsOrderReplica, (o) => o.id);
  for (const order of s.orders) {
    if (!paymentsReplica.has(order.id))
      v.add(`order ${order.id} never reached the payments service`);
  }
  return v.result(
    "Replicas converged (orders' tickets, payments' orders)",
    `${s.ordersTicketReplica.length} tickets and ${s.paymentsOrderReplica.length} orders replicated`,
  );
}

/**
 * Every payment.created reached orders: complete with it (and captured), or
 * cancelled (and voided). A payment never announced was voided before it was:
 * its order was cancelled while the card was being authorized.
 */
export function paymentsReachedOrders(s: Snapshot): InvariantResult {
  const v = new Violations();
  const orders = index(s.orders, (o) => o.id);
  const payments = index(s.payments, (p) => p.id);
  const handled = s.inbox.orders.get(durableName('orders', 'payment.created')) ?? new Set<string>();
  const deadLettered = deadLetteredBy(s, 'orders');
  const events = s.events.filter((e) => e.subject === 'payment.created');
  for (const event of events) {
    if (!handled.has(event.envelope.id) && !deadLettered.has(event.envelope.id))
      v.add(`payment.created ${event.envelope.id} never handled by orders`);
  }
  const announced = new Set(events.map((e) => String(e.envelope.data.id)));
  for (const payment of s.payments) {
    const order = orders.get(payment.order_id);
    if (!announced.has(payment.id)) {
      if (payment.status !== 'voided')
        v.add(`payment ${payment.id} (${payment.status}) has no payment.created on the stream`);
      else if (order && order.status !== 'cancelled')
        v.add(`payment ${payment.id} voided unannounced but order ${order.id} is ${order.status}`);
      continue;
    }
    if (!order) v.add(`payment ${payment.id} for unknown order ${payment.order_id}`);
    else if (order.payment_id !== payment.id)
      v.add(`order ${order.id} (${order.status}) does not know its payment ${payment.id}`);
    else if (order.status === 'cancelled' && payment.status !== 'voided')
      v.add(`payment ${payment.id} for cancelled order ${order.id} is ${payment.status}`);
    else if (order.status !== 'complete' && order.status !== 'cancelled')
      v.add(`payment ${payment.id} reached order ${order.id} but it is ${order.status}`);
  }
  const refunds = s.payments.filter((p) => p.refunded_at).length;
  const stray = events.filter((e) => !payments.has(String(e.envelope.data.id))).length;
  if (stray > 0) v.add(`${stray} payment.created events name no stored payment`);
  return v.result(
    'Every payment.created reached orders (complete and captured, or cancelled and voided)',
    `${s.payments.length} payments: ${formatCounts(countBy(s.payments, (p) => p.status))}; ${refunds} refunded, ${s.declines} declined attempts`,
  );
}

function deadLetteredBy(s: Snapshot, service: string): Set<string> {
  return new Set(
    s.deadLetters
      .filter((d) => d.consumer.startsWith(`${service}_`) && d.eventId)
      .map((d) => d.eventId!),
  );
}

/**
 * Where the expiration service's handling of an event shows in Redis: order.created
 * leaves a job (or the mark of a cancel handled first); order.cancelled a mark, except
 * when the order's own expiry cancelled it (its cause is the expiration.complete whose
 * id is the order id): then the fired job's finished record is the trace.
 */
export function expirationTraces(event: StreamMessage): Array<(s: Snapshot) => Set<string>> {
  const jobs = (s: Snapshot) => s.expirationJobs;
  const marks = (s: Snapshot) => s.expirationCancelMarks;
  if (event.subject === 'order.created') return [jobs, marks];
  return event.envelope.causationId === String(event.envelope.data.id) ? [jobs, marks] : [marks];
}

/**
 * When expiration's trace of `event` (expirationTraces) may have been written: from
 * the event's own time, except for an order.cancelled its own expiry caused, whose
 * trace is the fired job's finished record. That job fired (published its
 * expiration.complete) before orders cancelled, so the cause's time is when. A Redis
 * flush between the job's firing and its finish loses the record although the cancel
 * came after the flush.
 */
export function expirationTraceSince(
  event: StreamMessage,
  occurredAtById: ReadonlyMap<string, string | undefined>,
): number {
  const own = Date.parse(event.envelope.occurredAt ?? '');
  const cause = event.envelope.causationId;
  if (event.subject !== 'order.cancelled' || cause !== String(event.envelope.data.id)) return own;
  const firedAt = Date.parse(occurredAtById.get(cause) ?? '');
  return Number.isNaN(firedAt) ? own : Math.min(own, firedAt);
}

/**
 * Nothing published was lost, and everything on a consumed subject was handled.
 * After a Redis flush (`redisFlushedAt`), expiration's traces written before it
 * are gone with everything else in Redis: an event whose trace may have been
 * written before the flush (expirationTraceSince) counts as handled when its order
 * reached a final state (the sweeper's job then), and is counted apart.
 */
export function noEventLost(
  s: Snapshot,
  { redisFlushedAt }: { redisFlushedAt?: Date } = {},
): InvariantResult {
  const v = new Violations();
  const onStream = new Set(s.events.map((e) => e.msgId));
  for (const event of s.events) {
    if (event.msgId !== event.envelope.id)
      v.add(
        `stream seq ${event.seq}: Nats-Msg-Id ${event.msgId} ≠ envelope id ${event.envelope.id}`,
      );
  }
  let outboxRows = 0;
  for (const db of EVENT_DATABASES) {
    for (const row of s.outbox[db]) {
      outboxRows++;
      if (!row.sent_at) v.add(`${db} outbox ${row.subject} ${row.id} never sent`);
      else if (!onStream.has(row.id))
        v.add(`${db} outbox ${row.subject} ${row.id} marked sent, not on the stream`);
    }
  }
  const inboxOf = (db: EventDatabase) => {
    const all = new Set<string>();
    for (const ids of s.inbox[db].values()) for (const id of ids) all.add(id);
    return all;
  };
  const handled = Object.fromEntries(EVENT_DATABASES.map((db) => [db, inboxOf(db)]));
  const dead = Object.fromEntries(
    [...EVENT_DATABASES, 'expiration'].map((service) => [service, deadLetteredBy(s, service)]),
  );
  const orderStatus = new Map(s.orders.map((o) => [o.id, o.status]));
  const occurredAtById = new Map(s.events.map((e) => [e.envelope.id, e.envelope.occurredAt]));
  let flushedTraces = 0;
  for (const event of s.events) {
    for (const consumer of CONSUMERS[event.subject] ?? []) {
      const id = event.envelope.id;
      if (dead[consumer]!.has(id)) continue;
      if (consumer === 'expiration') {
        const orderId = String(event.envelope.data.id);
        const seen = expirationTraces(event).some((traces) => traces(s).has(orderId));
        const final =
          orderStatus.get(orderId) === 'complete' || orderStatus.get(orderId) === 'cancelled';
        const flushedAway =
          redisFlushedAt !== undefined &&
          expirationTraceSince(event, occurredAtById) <= redisFlushedAt.getTime();
        if (!seen && flushedAway && final) flushedTraces++;
        else if (!seen) v.add(`expiration never handled ${event.subject} ${id} (order ${orderId})`);
      } else if (!handled[consumer]!.has(id)) {
        v.add(`${consumer} never handled ${event.subject} ${id}`);
      }
    }
  }
  for (const consumer of s.consumers) {
    if (consumer.num_pending > 0 || consumer.num_ack_pending > 0)
      v.add(
        `consumer ${consumer.name}: ${consumer.num_pending} pending, ${consumer.num_ack_pending} unacked`,
      );
  }
  return v.result(
    "No event lost (outbox → stream → every consumer's inbox or the dead-letter stream)",
    `${outboxRows} outbox rows, ${s.events.length} events on the stream, ${s.deadLetters.length} dead-lettered${redisFlushedAt ? `; ${flushedTraces} expiration traces lost with the Redis flush (their orders final)` : ''}`,
  );
}

/** Every write a client got a success answer for is there at the end. */
export function acknowledgedWritesKept(s: Snapshot, ack: Acknowledged): InvariantResult {
  const v = new Violations();
  const tickets = new Set(s.tickets.map((t) => t.id));
  const orders = index(s.orders, (o) => o.id);
  const payments = index(s.payments, (p) => p.id);
  for (const id of ack.tickets)
    if (!tickets.has(id)) v.add(`ticket ${id} answered 201, not stored`);
  for (const id of ack.orders.keys())
    if (!orders.has(id)) v.add(`order ${id} answered 201, not stored`);
  for (const [orderId, paymentId] of ack.payments) {
    const payment = payments.get(paymentId);
    const order = orders.get(orderId);
    if (!payment) v.add(`payment ${paymentId} answered 201, not stored`);
    else if (
      !(order?.status === 'complete' && payment.status === 'captured') &&
      !(order?.status === 'cancelled' && payment.status === 'voided')
    )
      v.add(
        `order ${orderId} paid (201) but the order is ${order?.status ?? 'missing'} and the payment ${payment.status}`,
      );
  }
  for (const id of ack.cancelled) {
    if (orders.get(id)?.status !== 'cancelled')
      v.add(`order ${id} cancelled (204) but ${orders.get(id)?.status ?? 'missing'}`);
  }
  return v.result(
    'Every acknowledged write kept (201 tickets/orders/payments, 204 cancels)',
    `${ack.tickets.size} tickets, ${ack.orders.size} orders, ${ack.payments.size} payments, ${ack.cancelled.size} cancels acknowledged`,
  );
}

export function countBy<T>(rows: Iterable<T>, key: (row: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[key(row)] = (counts[key(row)] ?? 0) + 1;
  return counts;
}

export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${n} ${k}`).join(', ');
}
