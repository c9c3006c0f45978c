import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

// Read-your-writes across services: a ticket listed a moment ago may not have reached
// the orders replica when its buyer's POST /api/orders does.
describe('POST /api/orders for a ticket its replica has not heard of yet', () => {
  let f: OrdersFixture;

  beforeAll(async () => {
    f = await createOrdersFixture();
    await f.startConsumers();
  });
  afterAll(() => f?.close());

  it('when ticket.created arrives while the order waits, then the order is 201 for that ticket', async () => {
    const buyer = await f.signIn();
    const ticket = {
      id: randomUUID(),
      version: 0,
      title: 'Just listed',
      price: 12,
      userId: randomUUID(),
    };
    const ordering = f.orderTicket(ticket.id, buyer.headers);
    await f.deliver('ticket.created', ticket);
    const response = await ordering;
    expect(response.statusCode).toBe(201);
    expect(response.json().ticket).toEqual({ id: ticket.id, title: 'Just listed', price: 12 });
  });
});
