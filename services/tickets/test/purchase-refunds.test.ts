import { randomUUID } from 'node:crypto';
import { paymentRefundedData, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PurchasedTicket } from '../src/purchases.js';
import type { Ticket } from '../src/tickets.js';
import { getFile, pdfBytes, putFile, sha256 } from './files.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

describe('a purchase refunded in full (payment.refunded)', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  type User = Awaited<ReturnType<TicketsFixture['user']>>;

  /** A ticket with its file attached, listed by a new seller. */
  async function ticketWithFile() {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const pdf = pdfBytes();
    expect((await putFile(fx, ticket.id, seller, pdf)).statusCode).toBe(204);
    return { seller, ticket, pdf };
  }

  /** order.completed for `buyer`'s order of `ticket`, as orders sends it. */
  const completed = (ticket: Ticket, buyerId: string, orderId: string) =>
    fx.deliver('order.completed', {
      id: orderId,
      version: 2,
      userId: buyerId,
      paymentId: randomUUID(),
      ticket: { id: ticket.id, price: ticket.price, userId: ticket.userId, title: ticket.title },
    });

  const refunded = (ticket: Ticket, buyerId: string, orderId: string) =>
    fx.deliver(
      'payment.refunded',
      paymentRefundedData({ orderId, userId: buyerId, ticketId: ticket.id, amount: ticket.price }),
    );

  async function purchased(buyer: User): Promise<PurchasedTicket[]> {
    const response = await fx.app.inject({
      method: 'GET',
      url: '/api/tickets/purchased',
      headers: buyer.headers,
    });
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  it('when the payment of a bought ticket is refunded, then the ticket stays sold to that order, /purchased says refunded and the buyer can no longer download its file; the seller still can', async () => {
    const { seller, ticket, pdf } = await ticketWithFile();
    const buyer = await fx.user();
    const orderId = randomUUID();
    await completed(ticket, buyer.id, orderId);
    const sold = await fx.ticketState(ticket.id);
    expect((await purchased(buyer)).map((t) => t.refundedAt)).toEqual([null]);

    await refunded(ticket, buyer.id, orderId);

    const [listed] = await purchased(buyer);
    expect(listed).toMatchObject({ id: ticket.id, status: 'sold', orderId, hasFile: true });
    expect(Date.parse(listed!.refundedAt!)).not.toBeNaN();
    // Never relisted: the buyer may hold the barcode already.
    expect(await fx.ticketState(ticket.id)).toEqual(sold);
    expect(await fx.updates(ticket.id)).toHaveLength(sold.version);

    const download = await getFile(fx, ticket.id, buyer);
    expect(download.statusCode).toBe(403);
    expect(download.json()).toEqual({ errors: [{ message: 'This purchase was refunded' }] });
    const head = await fx.app.inject({
      method: 'HEAD',
      url: `/api/tickets/${ticket.id}/file`,
      headers: buyer.headers,
    });
    expect(head.statusCode).toBe(403);
    const sellers = await getFile(fx, ticket.id, seller);
    expect(sellers.statusCode).toBe(200);
    expect(sha256(sellers.rawPayload)).toBe(sha256(pdf));
    const downloads = await fx.db
      .selectFrom('ticket_file_downloads')
      .select('role')
      .where('ticket_id', '=', ticket.id)
      .execute();
    expect(downloads).toEqual([{ role: 'seller' }]);
  });

  it('when payment.refunded arrives before the order.completed that sells the ticket, then the purchase still ends refunded', async () => {
    const { ticket } = await ticketWithFile();
    const buyer = await fx.user();
    const orderId = randomUUID();

    await refunded(ticket, buyer.id, orderId);
    expect(await purchased(buyer)).toEqual([]);
    await completed(ticket, buyer.id, orderId);

    const [listed] = await purchased(buyer);
    expect(listed).toMatchObject({ id: ticket.id, status: 'sold', orderId });
    expect(listed!.refundedAt).not.toBeNull();
    expect((await fx.ticketState(ticket.id)).status).toBe('sold');
    expect((await getFile(fx, ticket.id, buyer)).statusCode).toBe(403);
  });

  it('when payment.refunded is delivered again (the same event, or a second refund of the order), then nothing changes', async () => {
    const { ticket } = await ticketWithFile();
    const buyer = await fx.user();
    const orderId = randomUUID();
    await completed(ticket, buyer.id, orderId);
    const event = await refunded(ticket, buyer.id, orderId);
    const [first] = await purchased(buyer);
    const state = await fx.ticketState(ticket.id);

    // The same event under a new Nats-Msg-Id, so the broker keeps the copy.
    const bus = await fx.environment.bus();
    await bus.js.publish(bus.subjectOf('payment.refunded'), JSON.stringify(event), {
      msgID: randomUUID(),
    });
    await refunded(ticket, buyer.id, orderId);
    await waitFor(() => fx.caughtUp('payment.refunded'), { message: 'the copies handled' });

    expect(await purchased(buyer)).toEqual([first]);
    expect(await fx.ticketState(ticket.id)).toEqual(state);
    expect((await getFile(fx, ticket.id, buyer)).statusCode).toBe(403);
  });

  it('when another buyer’s payment is refunded, then a buyer’s own purchase and download are untouched', async () => {
    const { ticket, pdf } = await ticketWithFile();
    const other = await ticketWithFile();
    const buyer = await fx.user();
    const stranger = await fx.user();
    await completed(ticket, buyer.id, randomUUID());
    const strangersOrder = randomUUID();
    await completed(other.ticket, stranger.id, strangersOrder);

    await refunded(other.ticket, stranger.id, strangersOrder);

    expect((await purchased(buyer)).map((t) => t.refundedAt)).toEqual([null]);
    const download = await getFile(fx, ticket.id, buyer);
    expect(download.statusCode).toBe(200);
    expect(sha256(download.rawPayload)).toBe(sha256(pdf));
  });
});
