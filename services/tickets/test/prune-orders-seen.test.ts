import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOrdersSeen } from '../src/prune-orders-seen.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { orderCancelled, orderCreated } from './order-events.js';

const HOUR_MS = 3_600_000;
const RETENTION_MS = 168 * HOUR_MS;

describe('orders_seen pruning', () => {
  let fx: TicketsFixture;

  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  const seen = async (orderId: string) =>
    fx.db.selectFrom('orders_seen').select('order_id').where('order_id', '=', orderId).execute();
  const age = (orderId: string, hours: number) =>
    fx.db
      .updateTable('orders_seen')
      .set({ seen_at: new Date(Date.now() - hours * HOUR_MS) })
      .where('order_id', '=', orderId)
      .execute();

  it('when an order was seen longer ago than the retention and no longer holds its ticket, then its row goes; a holder and recent orders stay', async () => {
    const seller = await fx.user();
    const released = await fx.listTicket(seller);
    const gone = orderCreated(released);
    await fx.deliver('order.created', gone);
    await fx.deliver('order.cancelled', orderCancelled(released.id, gone.id));

    const heldTicket = await fx.listTicket(seller);
    const holder = orderCreated(heldTicket);
    await fx.deliver('order.created', holder);

    const recentTicket = await fx.listTicket(seller);
    const recent = orderCreated(recentTicket);
    await fx.deliver('order.created', recent);
    await fx.deliver('order.cancelled', orderCancelled(recentTicket.id, recent.id));

    await age(gone.id, 200);
    await age(holder.id, 200);
    await age(recent.id, 10);

    expect(await pruneOrdersSeen(fx.db, { retentionMs: RETENTION_MS })).toBe(1);
    expect(await seen(gone.id)).toEqual([]);
    expect(await seen(holder.id)).toHaveLength(1);
    expect(await seen(recent.id)).toHaveLength(1);
    expect(await fx.ticketState(heldTicket.id)).toMatchObject({ orderId: holder.id });
  });
});
