import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

describe('events the tickets API publishes', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
  });
  afterAll(() => fx.close());

  it('when a ticket is listed, then ticket.created carries its state at version 0', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller, { title: 'Opera night', price: 75.25 });
    const events = (await fx.publishedEvents('ticket.created')).filter(
      (e) => e.data.id === ticket.id,
    );
    expect(events).toEqual([
      {
        id: expect.any(String),
        type: 'ticket.created',
        occurredAt: expect.any(String),
        // The request id of the POST that listed it.
        correlationId: expect.any(String),
        data: {
          id: ticket.id,
          version: 0,
          title: 'Opera night',
          price: 75.25,
          userId: seller.id,
          status: 'available',
          eventId: null,
          eventStartsAt: null,
        },
      },
    ]);
  });

  it('when the seller edits, then ticket.updated carries the new state and version', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    await fx.app.inject({
      method: 'PUT',
      url: `/api/tickets/${ticket.id}`,
      headers: seller.headers,
      payload: { title: 'Moved to Friday', price: 30 },
    });
    const events = (await fx.publishedEvents('ticket.updated')).filter(
      (e) => e.data.id === ticket.id,
    );
    expect(events.map((e) => e.data)).toEqual([
      {
        id: ticket.id,
        version: 1,
        title: 'Moved to Friday',
        price: 30,
        userId: seller.id,
        orderId: null,
        status: 'available',
        eventId: null,
        eventStartsAt: null,
      },
    ]);
  });

  it('when an edit is refused, then no event is published', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const refused = await fx.app.inject({
      method: 'PUT',
      url: `/api/tickets/${ticket.id}`,
      headers: (await fx.user()).headers,
      payload: { title: 'Not yours', price: 30 },
    });
    expect(refused.statusCode).toBe(403);
    const events = (await fx.publishedEvents('ticket.updated')).filter(
      (e) => e.data.id === ticket.id,
    );
    expect(events).toEqual([]);
  });

  it('when the seller sends many edits at once, then none is lost: versions 1..n, one event each', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const edits = 12;
    const responses = await Promise.all(
      Array.from({ length: edits }, (_, i) =>
        fx.app.inject({
          method: 'PUT',
          url: `/api/tickets/${ticket.id}`,
          headers: seller.headers,
          payload: { title: `edit ${i}`, price: i + 1 },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(edits).fill(200));
    const versions = responses.map((r) => r.json().version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: edits }, (_, i) => i + 1));

    const stored = await fx.app.inject({ method: 'GET', url: `/api/tickets/${ticket.id}` });
    const last = responses.find((r) => r.json().version === edits)!.json();
    expect(stored.json()).toEqual(last);

    const events = (await fx.publishedEvents('ticket.updated')).filter(
      (e) => e.data.id === ticket.id,
    );
    expect(events.map((e) => e.data.version)).toEqual(versions);
    // Each event reports exactly what its own edit wrote.
    for (const response of responses) {
      const edit = response.json();
      expect(events.find((e) => e.data.version === edit.version)!.data).toMatchObject({
        title: edit.title,
        price: edit.price,
      });
    }
  });

  it('when the relay publishes, then each message id is its event id', async () => {
    const ticket = await fx.listTicket(await fx.user());
    await fx.relay.drain();
    const info = await fx.bus.jsm.streams.info(fx.bus.stream);
    const stored = await fx.bus.jsm.streams.getMessage(fx.bus.stream, { seq: info.state.last_seq });
    const body = stored!.json<{ id: string; data: { id: string } }>();
    expect(body.data.id).toBe(ticket.id);
    expect(stored!.header?.get('Nats-Msg-Id')).toBe(body.id);
  });
});
