import { waitFor } from '@gittix/common/testing';
import type pg from 'pg';
import { bearer, type SignedSession } from './sessions.js';

/** Lists tickets for sale through the gateway, `concurrency` requests at a time; returns their ids in order. */
export async function listTicketsForSale(
  baseUrl: string,
  seller: SignedSession,
  titles: string[],
  concurrency = 16,
): Promise<string[]> {
  const ids: string[] = new Array(titles.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < titles.length) {
        const i = next++;
        ids[i] = await postTicket(baseUrl, seller, titles[i]!);
      }
    }),
  );
  return ids;
}

export async function postTicket(
  baseUrl: string,
  seller: SignedSession,
  title: string,
): Promise<string> {
  const response = await fetch(`${baseUrl}/api/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(seller) },
    body: JSON.stringify({ title, price: 49.99 }),
  });
  if (response.status !== 201) {
    throw new Error(`POST /api/tickets answered ${response.status}: ${await response.text()}`);
  }
  return ((await response.json()) as { id: string }).id;
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
