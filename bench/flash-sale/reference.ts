import { randomUUID } from 'node:crypto';
import { BadRequestError } from '@gittix/common';
import type { Kysely } from 'kysely';
import { createOrder } from '../../services/orders/src/create-order.js';
import type { OrdersDatabase } from '../../services/orders/src/db/schema.js';
import type { Attempt, RaceResult } from './buyers.js';

/** Tickets in the reference database's replica table, as ticket.created would put them. */
export async function seedReferenceTickets(
  db: Kysely<OrdersDatabase>,
  count: number,
): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    title: `Reference seat ${i}`,
    price_cents: 4999,
    user_id: randomUUID(),
    version: 0,
    order_id: null,
  }));
  await db.insertInto('tickets').values(rows).execute();
  return rows.map((row) => row.id);
}

/**
 * The ceiling for the database: the orders service's own reservation
 * transaction (createOrder: read the ticket, insert the order, outbox row and
 * NOTIFY, commit) called straight from here, the same buyers in the same order
 * with the same number in flight, on a pool the size of the service's. No
 * HTTP, no gateway, no session check, no serialization.
 */
export async function raceAgainstPostgres(
  db: Kysely<OrdersDatabase>,
  attempts: Attempt[],
  inFlight: number,
): Promise<RaceResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const rejections: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < attempts.length) {
        const { buyer, ticketId } = attempts[next++]!;
        const at = performance.now();
        let status = '201';
        try {
          await createOrder({ db, expirationSeconds: 3600 }, { userId: buyer.id, ticketId });
        } catch (error) {
          if (!(error instanceof BadRequestError)) throw error;
          status = '400';
          const key = `400 ${error.message}`;
          rejections[key] = (rejections[key] ?? 0) + 1;
        }
        latencies.push(performance.now() - at);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    seconds,
    latencies,
    statuses,
    rejections,
    ordersPerSecond: (statuses['201'] ?? 0) / seconds,
  };
}
