import { waitFor } from '@gittix/common/testing';
import type pg from 'pg';
import { bearer, type SignedSession } from './sessions.js';

/** Runs `work` on every item, `concurrency` at a time; results in the items' order. */
export async function inParallel<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}

/** Tries in all for one setup call GitTix keeps refusing as busy. */
const BUSY_ATTEMPTS = 10;
const isBusy = (response: Response) =>
  response.status === 503 && /^\d+$/.test(response.headers.get('retry-after') ?? '');

/** POSTs through the gateway as `session` and returns the id of what a 201 created. */
async function create(baseUrl: string, path: string, session: SignedSession, body: unknown) {
  const send = () =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(session) },
      body: JSON.stringify(body),
    });
  let response = await send();
  // Refused as busy (admission control, nothing done): sent again after Retry-After, as a client would.
  for (let attempt = 1; attempt < BUSY_ATTEMPTS && isBusy(response); attempt++) {
    await response.body?.cancel();
    await new Promise((resolve) =>
      setTimeout(resolve, Number(response.headers.get('retry-after')) * 1000),
    );
    response = await send();
  }
  if (response.status !== 201) {
    throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  }
  return ((await response.json()) as { id: string }).id;
}

export function postTicket(baseUrl: string, seller: SignedSession, title: string) {
  return create(baseUrl, '/api/tickets', seller, { title, price: 49.99 });
}

/** Adds an event through the gateway; returns its id. */
export function postEvent(baseUrl: string, session: SignedSession, name: string) {
  return create(baseUrl, '/api/events', session, {
    name,
    venue: 'Bench arena',
    city: 'Benchville',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
}

/** Lists `count` tickets for one event at spread prices, 16 at a time; returns their ids. */
export function listTicketsForEvent(
  baseUrl: string,
  seller: SignedSession,
  eventId: string,
  count: number,
) {
  return inParallel(
    Array.from({ length: count }, (_, i) => i),
    16,
    (i) =>
      create(baseUrl, '/api/tickets', seller, {
        title: `Event seat ${i}`,
        price: 10 + ((i * 37) % 200),
        eventId,
      }),
  );
}

/** Lists tickets for sale through the gateway, 16 requests at a time; returns their ids in order. */
export function listTicketsForSale(baseUrl: string, seller: SignedSession, titles: string[]) {
  return inParallel(titles, 16, (title) => postTicket(baseUrl, seller, title));
}

/** Buyer i orders ticket i (the buyers taken round) through the gateway, 16 at a time; returns the order ids. */
export function placeOrders(baseUrl: string, buyers: SignedSession[], ticketIds: string[]) {
  return inParallel(ticketIds, 16, (ticketId, i) =>
    create(baseUrl, '/api/orders', buyers[i % buyers.length]!, { ticketId }),
  );
}

/** Resolves once every id is in `table` of the database behind `pool` (a replica catching up). */
export async function waitForRows(
  pool: pg.Pool,
  table: string,
  ids: string[],
  what: string,
  timeoutMs = 120_000,
): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      return rows[0]!.n === ids.length;
    },
    { timeoutMs, intervalMs: 100, message: what },
  );
}
