import { randomUUID } from 'node:crypto';
import type { TestSessionKeys } from '@gittix/common/testing';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import type { BenchSystem } from './system.js';
import { listTickets } from './tickets.js';

export interface FlashSaleSettings {
  buyers: number;
  tickets: number;
  connections: number;
  /** Where POST /api/orders goes: the orders service itself, or a gateway in front of it. */
  baseUrl: string;
}

export interface FlashSaleResult {
  requests: number;
  durationSeconds: number;
  statuses: Record<string, number>;
  /** 400 messages, counted. */
  rejections: Record<string, number>;
  latency: { p50: number; p99: number; max: number };
  requestsPerSecond: number;
  ordersPerSecond: number;
  proof: {
    ordersInDb: number;
    ticketsWithAnOrder: number;
    ticketsOrderedTwice: number;
    orderCreatedEvents: number;
  };
}

/**
 * `buyers` signed-in buyers race for `tickets` tickets, each buyer ordering one
 * ticket once, buyers for the same ticket sent side by side so they really race.
 */
export async function runFlashSale(
  system: BenchSystem,
  keys: TestSessionKeys,
  settings: FlashSaleSettings,
): Promise<FlashSaleResult> {
  // Warm-up on tickets of its own (JIT, connection pools), left out of every number.
  await race(keys, { ...settings, buyers: 200, tickets: 20 }, await listTickets(system, 20));
  const ticketIds = await listTickets(system, settings.tickets);
  const { result, rejections } = await race(keys, settings, ticketIds);
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, Number(stat.count)]),
  );
  const created = statuses['201'] ?? 0;
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    statuses,
    rejections,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    requestsPerSecond: result.requests.total / result.duration,
    ordersPerSecond: created / result.duration,
    proof: await proveOneOrderPerTicket(system, ticketIds),
  };
}

/** Each buyer orders one ticket once; buyers of the same ticket are sent side by side. */
async function race(keys: TestSessionKeys, settings: FlashSaleSettings, ticketIds: string[]) {
  const perTicket = Math.ceil(settings.buyers / settings.tickets);
  const attempts = await Promise.all(
    Array.from({ length: settings.buyers }, async (_, i) => {
      const id = randomUUID();
      const token = await keys.sign({ id, email: `buyer-${i}@example.com` });
      return {
        body: JSON.stringify({ ticketId: ticketIds[Math.floor(i / perTicket)] }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      };
    }),
  );

  let next = 0;
  const rejections: Record<string, number> = {};
  const result = await autocannon({
    url: settings.baseUrl,
    connections: settings.connections,
    amount: settings.buyers,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: new URL('/api/orders', settings.baseUrl).pathname,
        setupRequest: (request) => {
          const attempt = attempts[next++ % attempts.length]!;
          return { ...request, body: attempt.body, headers: attempt.headers };
        },
        onResponse: (status, body) => {
          if (status === 201) return;
          const message = safeMessage(body);
          rejections[`${status} ${message}`] = (rejections[`${status} ${message}`] ?? 0) + 1;
        },
      },
    ],
  });

  if (next !== settings.buyers) {
    throw new Error(`sent ${next} requests for ${settings.buyers} buyers: some buyer went twice`);
  }
  return { result, rejections };
}

function safeMessage(body: string): string {
  try {
    return (JSON.parse(body) as { errors: Array<{ message: string }> }).errors[0]!.message;
  } catch {
    return body.slice(0, 80);
  }
}

/** Counts straight from the orders database and outbox. */
async function proveOneOrderPerTicket(system: BenchSystem, ticketIds: string[]) {
  const { rows } = await sql<{
    orders: number;
    tickets: number;
    twice: number;
    events: number;
  }>`
    SELECT
      (SELECT count(*) FROM orders WHERE ticket_id = ANY(${ticketIds}::uuid[]))::int AS orders,
      (SELECT count(DISTINCT ticket_id) FROM orders WHERE ticket_id = ANY(${ticketIds}::uuid[]))::int AS tickets,
      (SELECT count(*) FROM (
        SELECT ticket_id FROM orders WHERE ticket_id = ANY(${ticketIds}::uuid[])
        GROUP BY ticket_id HAVING count(*) > 1) twice)::int AS twice,
      (SELECT count(*) FROM outbox WHERE subject = 'order.created'
        AND (envelope #>> '{data,ticket,id}')::uuid = ANY(${ticketIds}::uuid[]))::int AS events
  `.execute(system.db);
  const row = rows[0]!;
  return {
    ordersInDb: row.orders,
    ticketsWithAnOrder: row.tickets,
    ticketsOrderedTwice: row.twice,
    orderCreatedEvents: row.events,
  };
}
