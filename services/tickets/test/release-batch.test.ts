import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  type DeadLetterRecord,
  durableName,
  type EventEnvelope,
  handleBatchOnce,
} from '@gittix/common';
import { streamMessages, testLogger, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onOrderCancelled } from '../src/events/order-cancelled.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';
import { MINUTE, orderCancelled, orderCreated } from './order-events.js';

/** order.cancelled handled in batches: one transaction releases every ticket of a burst. */
describe('order.cancelled in batches', () => {
  let fx: TicketsFixture;
  const consumer = () => durableName(fx.name, 'order.cancelled');

  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers({ maxDeliveries: 2 });
  });
  afterAll(() => fx.close());

  /** `n` tickets of one seller, each reserved by an order of its own. */
  async function reserved(n: number) {
    const seller = await fx.user();
    const tickets = await Promise.all(Array.from({ length: n }, () => fx.listTicket(seller)));
    const held = await Promise.all(
      tickets.map(async (ticket) => {
        const order = orderCreated(ticket);
        await fx.publish('order.created', order);
        return { ticket, orderId: order.id };
      }),
    );
    // Reserved one at a time: a slow machine takes a while over a dozen.
    await waitFor(
      async () => {
        const states = await Promise.all(held.map(({ ticket }) => fx.ticketState(ticket.id)));
        return states.every((state, i) => state.orderId === held[i]!.orderId);
      },
      { timeoutMs: 60_000, message: `${n} tickets reserved` },
    );
    return { seller, held };
  }

  const cancelOf = (ticketId: string, orderId: string) =>
    createEnvelope('order.cancelled', orderCancelled(ticketId, orderId), randomUUID());

  /** The batch handler in one inbox transaction, as the consumer runs a batch. */
  const handleBatch = (events: EventEnvelope<'order.cancelled'>[]) =>
    handleBatchOnce(
      fx.db,
      consumer(),
      onOrderCancelled,
    )(events, {
      deliveries: 1,
      logger: testLogger,
    });

  /** The database refuses writes to `table` for which `condition` holds (NEW is the row), in any transaction. */
  async function refuse(table: string, condition: string): Promise<() => Promise<void>> {
    await sql
      .raw(`
        CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger AS $$
        BEGIN
          IF ${condition} THEN RAISE EXCEPTION 'refused by the test'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER refuse_write BEFORE INSERT OR UPDATE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION refuse_write();`)
      .execute(fx.db);
    return async () => {
      await sql.raw(`DROP TRIGGER refuse_write ON ${table}`).execute(fx.db);
    };
  }

  const versionsOf = async (ticketId: string) =>
    (await fx.updates(ticketId)).map((update) => update.version);

  it('when a burst of cancels arrives, then every ticket is released once and its ticket.updated names its own cancel', async () => {
    const { held } = await reserved(12);
    const cancels = held.map(({ ticket, orderId }) => cancelOf(ticket.id, orderId));
    await Promise.all(
      cancels.map((cancel) => fx.publish('order.cancelled', cancel.data, cancel.id)),
    );
    for (const cancel of cancels) await fx.handled(cancel);
    const updates = await fx.publishedEvents('ticket.updated');
    for (const [i, { ticket }] of held.entries()) {
      expect(await fx.ticketState(ticket.id)).toMatchObject({
        orderId: null,
        status: 'available',
        version: 2,
      });
      const release = updates.filter((u) => u.data.id === ticket.id && u.data.version === 2);
      expect(release).toHaveLength(1);
      expect(release[0]!.causationId).toBe(cancels[i]!.id);
    }
  }, 90_000);

  it('when one batch holds a copy of a cancel, a cancel of an order never created and a cancel of an order that lost its ticket, then each is applied as it would be alone', async () => {
    const { held } = await reserved(1);
    const { ticket, orderId } = held[0]!;
    const other = await fx.listTicket(await fx.user());
    const unborn = orderCreated(other);
    const cancel = cancelOf(ticket.id, orderId);
    await handleBatch([
      cancel,
      cancel,
      cancelOf(other.id, unborn.id),
      // An order that never held `ticket`: its cancel changes nothing there.
      cancelOf(ticket.id, randomUUID()),
    ]);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: null, version: 2 });
    expect(await versionsOf(ticket.id)).toEqual([1, 2]);
    // The cancel was recorded first: its order.created, arriving late, reserves nothing.
    await fx.deliver('order.created', unborn);
    expect(await fx.ticketState(other.id)).toMatchObject({ orderId: null, version: 0 });
    // Redelivered later (the whole batch again), nothing changes.
    await handleBatch([cancel]);
    expect(await versionsOf(ticket.id)).toEqual([1, 2]);
  });

  it('when the holder and the live order next in line are cancelled in one batch, then the ticket ends free, as one by one', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const older = orderCreated(ticket, { expiresAt: new Date(Date.now() + 10 * MINUTE) });
    const newer = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
    await fx.deliver('order.created', older);
    await fx.deliver('order.created', newer);
    expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId: newer.id });
    const before = (await fx.ticketState(ticket.id)).version;
    await handleBatch([cancelOf(ticket.id, newer.id), cancelOf(ticket.id, older.id)]);
    const after = await fx.ticketState(ticket.id);
    expect(after).toMatchObject({ orderId: null, status: 'available', version: before + 1 });
    expect(await versionsOf(ticket.id)).toEqual(
      Array.from({ length: after.version }, (_, i) => i + 1),
    );
  });

  it('when the only holder is cancelled in a batch with the live order next in line left, then that order gets the ticket', async () => {
    const ticket = await fx.listTicket(await fx.user());
    const older = orderCreated(ticket, { expiresAt: new Date(Date.now() + 10 * MINUTE) });
    const newer = orderCreated(ticket, { expiresAt: new Date(Date.now() + 15 * MINUTE) });
    await fx.deliver('order.created', older);
    await fx.deliver('order.created', newer);
    const { held } = await reserved(1);
    await handleBatch([
      cancelOf(ticket.id, newer.id),
      cancelOf(held[0]!.ticket.id, held[0]!.orderId),
    ]);
    expect(await fx.ticketState(ticket.id)).toMatchObject({
      orderId: older.id,
      status: 'reserved',
    });
    expect(await fx.ticketState(held[0]!.ticket.id)).toMatchObject({ orderId: null });
  });

  it('when a batch fails part-way, then nothing of it is applied', async () => {
    const { held } = await reserved(3);
    const cancels = held.map(({ ticket, orderId }) => cancelOf(ticket.id, orderId));
    // The outbox INSERT is the batch's last statement: the tickets are updated by then.
    const cure = await refuse('outbox', "NEW.subject = 'ticket.updated'");
    try {
      await expect(handleBatch(cancels)).rejects.toThrow(/refused by the test/);
    } finally {
      await cure();
    }
    for (const { ticket, orderId } of held) {
      expect(await fx.ticketState(ticket.id)).toMatchObject({ orderId, version: 1 });
      expect(await versionsOf(ticket.id)).toEqual([1]);
    }
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM inbox
      WHERE consumer = ${consumer()} AND event_id = ANY(${cancels.map((c) => c.id)}::uuid[])`.execute(
      fx.db,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('when one cancel of a burst keeps failing, then the others are released once and that one alone is dead-lettered', async () => {
    const { held } = await reserved(12);
    const poisoned = held[5]!;
    const cure = await refuse('orders_seen', `NEW.order_id = '${poisoned.orderId}'`);
    try {
      const cancels = held.map(({ ticket, orderId }) => cancelOf(ticket.id, orderId));
      await Promise.all(
        cancels.map((cancel) => fx.publish('order.cancelled', cancel.data, cancel.id)),
      );
      await waitFor(
        async () => {
          const letters = await streamMessages<DeadLetterRecord>(await fx.environment.bus(), {
            stream: (await fx.environment.bus()).deadLetterStream,
          });
          return letters.some((letter) => letter.body.consumer === consumer());
        },
        { timeoutMs: 20_000, message: 'the poisoned cancel dead-lettered' },
      );
      await fx.idle();
      for (const { ticket, orderId } of held) {
        const state = await fx.ticketState(ticket.id);
        if (orderId === poisoned.orderId) {
          expect(state).toMatchObject({ orderId, version: 1 });
        } else {
          expect(state).toMatchObject({ orderId: null, version: 2 });
        }
        expect(await versionsOf(ticket.id)).toEqual(
          Array.from({ length: state.version }, (_, i) => i + 1),
        );
      }
    } finally {
      await cure();
    }
  }, 90_000);

  it('when a burst of cancels races the sellers editing those tickets, then no version is lost and every ticket ends free', async () => {
    const { seller, held } = await reserved(10);
    const cancels = held.map(({ ticket, orderId }) => cancelOf(ticket.id, orderId));
    const edits = await Promise.all([
      ...held.map(({ ticket }) =>
        fx.app.inject({
          method: 'PUT',
          url: `/api/tickets/${ticket.id}`,
          headers: seller.headers,
          payload: { title: 'Edited', price: ticket.price },
        }),
      ),
      ...cancels.map(async (cancel) => {
        await fx.publish('order.cancelled', cancel.data, cancel.id);
        return undefined;
      }),
    ]);
    for (const cancel of cancels) await fx.handled(cancel);
    for (const [i, { ticket }] of held.entries()) {
      const edit = edits[i]!;
      const state = await fx.ticketState(ticket.id);
      // An edit before the release finds the ticket reserved; one after it applies.
      if (edit.statusCode === 200) {
        expect(state).toMatchObject({ title: 'Edited', orderId: null, version: 3 });
      } else {
        expect(edit.json()).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
        expect(state).toMatchObject({ orderId: null, version: 2 });
      }
      expect(await versionsOf(ticket.id)).toEqual(
        Array.from({ length: state.version }, (_, i) => i + 1),
      );
    }
  }, 90_000);
});
