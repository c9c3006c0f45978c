import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completePurchase, pdfBytes, putFile, sha256 } from './files.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

describe('HEAD /api/tickets/:id/file', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  const downloadsOf = (ticketId: string) =>
    fx.db
      .selectFrom('ticket_file_downloads')
      .select(['user_id', 'role'])
      .where('ticket_id', '=', ticketId)
      .execute();

  const head = (ticketId: string, user?: { headers: Record<string, string> }) =>
    fx.app.inject({
      method: 'HEAD',
      url: `/api/tickets/${ticketId}/file`,
      headers: user?.headers ?? {},
    });

  it('when the buyer asks with HEAD, then they get the headers, no body, and no download is recorded', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const pdf = pdfBytes(300 * 1024);
    await putFile(fx, ticket.id, seller, pdf);
    const buyer = await fx.user();
    await completePurchase(fx, ticket, buyer.id);

    const response = await head(ticket.id, buyer);

    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.length).toBe(0);
    expect(response.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': String(pdf.length),
      'content-disposition': `attachment; filename="ticket-${ticket.id}.pdf"`,
      'x-content-sha256': sha256(pdf),
    });
    // The dispute record says who got the file: a HEAD got nothing.
    expect(await downloadsOf(ticket.id)).toEqual([]);

    // The real download still is recorded.
    const get = await fx.app.inject({
      method: 'GET',
      url: `/api/tickets/${ticket.id}/file`,
      headers: buyer.headers,
    });
    expect(get.statusCode).toBe(200);
    expect(await downloadsOf(ticket.id)).toEqual([{ user_id: buyer.id, role: 'buyer' }]);
  });

  it('when a stranger or nobody asks with HEAD, then it is 403 / 401 as for GET', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    await putFile(fx, ticket.id, seller, pdfBytes());
    await completePurchase(fx, ticket, (await fx.user()).id);

    expect((await head(ticket.id, await fx.user())).statusCode).toBe(403);
    expect((await head(ticket.id)).statusCode).toBe(401);
    expect(await downloadsOf(ticket.id)).toEqual([]);
  });
});
