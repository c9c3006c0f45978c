import { randomUUID } from 'node:crypto';
import { createEnvelope, type EventInput, handleBatchOnce } from '@gittix/common';
import { testLogger, ticketUpdatedData, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onTicketUpdated } from '../src/events/ticket-updated.js';
import { applyTickets } from '../src/ticket-replica.js';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

function ticketData(overrides: Partial<EventInput<'ticket.updated'>> = {}) {
  return ticketUpdatedData({ price: 30, ...overrides });
}

function created(data: EventInput<'ticket.updated'>): EventInput<'ticket.created'> {
  const { orderId: _ignored, ...rest } = data;
  return rest;
}

describe('ticket replica (ticket.created, ticket.updated consumers)', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
    await f.startConsumers();
  });
  afterAll(() => f?.close());

  const replicaOf = (id: string) =>
    f.db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();

  /** Publishes a marker ticket and waits for it: everything published before it on that subject is handled. */
  async function settle(subject: 'ticket.created' | 'ticket.updated') {
    const marker = ticketData();
    await f.publish(subject, subject === 'ticket.created' ? created(marker) : marker);
    await waitFor(() => replicaOf(marker.id), { message: `${subject} marker in the replica` });
  }

  it('when ticket.created arrives, then the ticket is in the replica with its price in cents', async () => {
    const ticket = ticketData({ price: 12.34 });
    await f.publish('ticket.created', created(ticket));
    const row = await waitFor(() => replicaOf(ticket.id), { message: 'replicated ticket' });
    expect(row).toEqual({
      id: ticket.id,
      title: ticket.title,
      price_cents: 1234,
      user_id: ticket.userId,
      version: 0,
      order_id: null,
      status: 'available',
      event_id: null,
      event_starts_at: null,
    });
  });

  it('when ticket.updated arrives before ticket.created, then the replica keeps the update', async () => {
    const ticket = ticketData();
    const update = { ...ticket, version: 1, title: 'Renamed', price: 55 };
    await f.publish('ticket.updated', update);
    await waitFor(async () => (await replicaOf(ticket.id))?.version === 1, {
      message: 'the update applied',
    });
    await f.publish('ticket.created', created(ticket));
    await settle('ticket.created');
    expect(await replicaOf(ticket.id)).toMatchObject({
      version: 1,
      title: 'Renamed',
      price_cents: 5500,
    });
  });

  it('when an old version arrives after a newer one, then the newer state stays', async () => {
    const ticket = ticketData();
    const orderId = randomUUID();
    await f.publish('ticket.created', created(ticket));
    await f.publish('ticket.updated', { ...ticket, version: 2, title: 'v2', orderId });
    await waitFor(async () => (await replicaOf(ticket.id))?.version === 2, { message: 'v2' });
    await f.publish('ticket.updated', { ...ticket, version: 1, title: 'v1' });
    await settle('ticket.updated');
    expect(await replicaOf(ticket.id)).toMatchObject({
      version: 2,
      title: 'v2',
      order_id: orderId,
    });
  });

  it('when the same event is delivered twice, then the replica applies it once', async () => {
    const ticket = ticketData();
    await f.publish('ticket.created', created(ticket));
    const update = { ...ticket, version: 1, title: 'Once' };
    const id = randomUUID();
    await f.publish('ticket.updated', update, id);
    // A second copy under another Nats-Msg-Id gets past the broker's de-duplication.
    await f.bus.js.publish(
      f.bus.subjectOf('ticket.updated'),
      JSON.stringify({
        id,
        type: 'ticket.updated',
        occurredAt: new Date().toISOString(),
        data: update,
      }),
      { msgID: randomUUID() },
    );
    await settle('ticket.updated');
    expect(await replicaOf(ticket.id)).toMatchObject({ version: 1, title: 'Once' });
    const { rows: handled } = await sql<{ consumer: string }>`
      SELECT consumer FROM inbox WHERE event_id = ${id}`.execute(f.db);
    expect(handled).toEqual([{ consumer: 'orders_ticket_updated' }]);
  });

  it('when a shuffled burst of versions arrives, then the replica ends at the newest', async () => {
    const ticket = ticketData();
    const versions = [3, 1, 5, 2, 4];
    await Promise.all(
      versions.map((version) =>
        f.publish('ticket.updated', { ...ticket, version, title: `v${version}` }),
      ),
    );
    await f.publish('ticket.created', created(ticket));
    await settle('ticket.updated');
    await settle('ticket.created');
    expect(await replicaOf(ticket.id)).toMatchObject({ version: 5, title: 'v5' });
  });

  it('when a replicated ticket is ordered, then the order carries its title and price', async () => {
    const ticket = ticketData({ price: 75.5 });
    await f.publish('ticket.created', created(ticket));
    await waitFor(() => replicaOf(ticket.id), { message: 'replicated ticket' });
    const buyer = await f.signIn();
    const response = await f.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: buyer.headers,
      payload: { ticketId: ticket.id },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().ticket).toEqual({ id: ticket.id, title: ticket.title, price: 75.5 });
  });

  it('when one batch holds shuffled versions of a ticket, a copy of one and a version older than the replica, then each ticket ends at its newest', async () => {
    const a = ticketData();
    const b = ticketData();
    await f.db
      .transaction()
      .execute((trx) => applyTickets(trx, [{ ...b, version: 4, title: 'b4' }]));
    const updates = [3, 1, 5, 2].map((version) =>
      createEnvelope('ticket.updated', { ...a, version, title: `a${version}` }, randomUUID()),
    );
    const older = createEnvelope('ticket.updated', { ...b, version: 2, title: 'b2' }, randomUUID());
    await handleBatchOnce(
      f.db,
      'orders_ticket_updated',
      onTicketUpdated,
    )([...updates, updates[2]!, older], { deliveries: 1, logger: testLogger });
    expect(await replicaOf(a.id)).toMatchObject({ version: 5, title: 'a5' });
    expect(await replicaOf(b.id)).toMatchObject({ version: 4, title: 'b4' });
  });
  it('when one statement applies 150 states with awkward titles, events and statuses, then each row holds exactly its state', async () => {
    const eventId = randomUUID();
    const states = Array.from({ length: 150 }, (_, i) =>
      ticketData({
        title: [`Quote ' and "double" ${i}`, `Back\\slash \\n ${i}`, `Ünïcödé 🎫 ${i}`][i % 3]!,
        price: 10 + i / 100,
        version: i % 4,
        orderId: i % 2 === 0 ? randomUUID() : null,
        status: i % 2 === 0 ? 'reserved' : 'available',
        eventId: i % 5 === 0 ? null : eventId,
        eventStartsAt: i % 5 === 0 ? null : '2027-06-01T18:30:00.000+02:00',
      }),
    );
    const applied = await f.db.transaction().execute((trx) => applyTickets(trx, states));
    expect(applied).toBe(150);
    const rows = await f.db
      .selectFrom('tickets')
      .selectAll()
      .where(
        'id',
        'in',
        states.map((state) => state.id),
      )
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const state of states) {
      expect(byId.get(state.id)).toEqual({
        id: state.id,
        title: state.title,
        price_cents: Math.round(state.price * 100),
        user_id: state.userId,
        version: state.version,
        order_id: state.orderId,
        status: state.status,
        event_id: state.eventId,
        event_starts_at: state.eventStartsAt ? new Date('2027-06-01T16:30:00.000Z') : null,
      });
    }
    // Applied again, nothing is newer: no row changes.
    expect(await f.db.transaction().execute((trx) => applyTickets(trx, states))).toBe(0);
  });
});
