import { randomUUID } from 'node:crypto';
import { createEnvelope } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import type { BenchSystem } from './system.js';

/**
 * Lists `count` tickets the way the tickets service would: ticket.created on the
 * stream. Resolves once the orders service's replica holds them all.
 */
export async function listTickets(system: BenchSystem, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(
      ids.slice(i, i + 100).map((id, j) =>
        system.bus.publish(
          createEnvelope(
            'ticket.created',
            {
              id,
              version: 0,
              title: `Flash sale seat ${i + j}`,
              price: 49.99,
              userId: randomUUID(),
            },
            randomUUID(),
          ),
        ),
      ),
    );
  }
  await waitFor(
    async () => {
      const { n } = await system.db
        .selectFrom('tickets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('id', 'in', ids)
        .executeTakeFirstOrThrow();
      return n === count;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `${count} tickets in the orders replica` },
  );
  return ids;
}
