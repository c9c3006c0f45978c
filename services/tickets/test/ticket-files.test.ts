import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { TICKET_FILE_MAX_BYTES } from '@gittix/common';
import { orderCreatedData, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresFileStore } from '../src/files/store.js';
import { downloadTicketFile } from '../src/files/ticket-files.js';
import {
  completePurchase,
  getFile,
  pdfBytes,
  pngBytes,
  putFile,
  replacedBeforeFirstGet,
  sha256,
  storedFile,
} from './files.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

describe('ticket files (stored in Postgres)', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
    await fx.startConsumers();
  });
  afterAll(() => fx.close());

  describe('PUT /api/tickets/:id/file', () => {
    it('when the seller attaches a PDF, then it is 204, hasFile is true and its size and SHA-256 are recorded', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      expect(ticket.hasFile).toBe(false);
      const pdf = pdfBytes(700 * 1024);

      const response = await putFile(fx, ticket.id, seller, pdf);

      expect(response.statusCode).toBe(204);
      expect((await fx.ticketState(ticket.id)).hasFile).toBe(true);
      const { row, chunks } = await storedFile(fx, ticket.id);
      expect(row).toMatchObject({
        content_type: 'application/pdf',
        size_bytes: pdf.length,
        sha256: sha256(pdf),
        storage: 'postgres',
        uploaded_by: seller.id,
      });
      // 700 KiB in chunks of at most 256 KiB: never one row holding the whole file.
      expect(chunks).toBe(3);
      // Attaching a file is not a change other services replicate.
      expect((await fx.ticketState(ticket.id)).version).toBe(0);
    });

    it('when the seller replaces the file, then only the new content is kept and served, and each upload is announced', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      await putFile(fx, ticket.id, seller, pdfBytes());
      const before = await storedFile(fx, ticket.id);
      const png = pngBytes(10_000);

      expect((await putFile(fx, ticket.id, seller, png, 'image/png')).statusCode).toBe(204);

      const after = await storedFile(fx, ticket.id);
      expect(after.row).toMatchObject({ content_type: 'image/png', sha256: sha256(png) });
      expect(after.chunkKeys).toEqual([after.row?.object_key]);
      expect(after.chunkKeys).not.toContain(before.row?.object_key);
      const download = await getFile(fx, ticket.id, seller);
      expect(download.rawPayload.equals(png)).toBe(true);
      // Each upload is announced once (notifications tells a buyer who already paid).
      const announced = await waitFor(async () => {
        const events = await fx.publishedEvents('ticket.file_attached');
        const ours = events.filter((e) => e.data.ticketId === ticket.id).map((e) => e.data);
        return ours.length >= 2 && ours;
      });
      expect(announced).toEqual([
        { ticketId: ticket.id, userId: seller.id, replaced: false },
        { ticketId: ticket.id, userId: seller.id, replaced: true },
      ]);
    });

    it('when the body comes without a length (chunked), then it streams in all the same', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const pdf = pdfBytes(600 * 1024);
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}/file`,
        headers: { ...seller.headers, 'content-type': 'application/pdf' },
        payload: Readable.from([
          pdf.subarray(0, 3),
          pdf.subarray(3, 300_000),
          pdf.subarray(300_000),
        ]),
      });
      expect(response.statusCode).toBe(204);
      expect((await storedFile(fx, ticket.id)).row?.sha256).toBe(sha256(pdf));
    });

    it.each([
      ['a missing content type', null],
      ['JSON', 'application/json'],
      ['plain text', 'text/plain'],
      ['an HTML page', 'text/html'],
      ['a GIF', 'image/gif'],
    ])('when the body is sent as %s, then it is 415 and nothing is stored', async (_name, type) => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await putFile(fx, ticket.id, seller, pdfBytes(1000), type);
      expect(response.statusCode).toBe(415);
      expect(response.json()).toEqual({
        errors: [{ message: expect.stringContaining('application/pdf') }],
      });
      expect(await storedFile(fx, ticket.id)).toEqual({ row: undefined, chunkKeys: [], chunks: 0 });
      expect((await fx.ticketState(ticket.id)).hasFile).toBe(false);
    });

    it.each([
      [
        'HTML calling itself a PDF',
        'application/pdf',
        Buffer.from('<html><script>alert(1)</script>'),
      ],
      ['a PDF calling itself a PNG', 'image/png', pdfBytes(2000)],
      ['a PNG calling itself a JPEG', 'image/jpeg', pngBytes(2000)],
      ['two bytes of a PDF', 'application/pdf', Buffer.from('%P')],
    ])(
      'when the content is %s, then it is 400 and nothing is stored',
      async (_name, type, body) => {
        const seller = await fx.user();
        const ticket = await fx.listTicket(seller);
        const response = await putFile(fx, ticket.id, seller, body, type);
        expect(response.statusCode).toBe(400);
        expect(response.json().errors[0].message).toMatch(/is not a real/);
        expect(await storedFile(fx, ticket.id)).toEqual({
          row: undefined,
          chunkKeys: [],
          chunks: 0,
        });
      },
    );

    it('when the body is empty, then it is 400', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await putFile(fx, ticket.id, seller, Buffer.alloc(0));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ errors: [{ message: 'The ticket file is empty' }] });
    });

    it('when the file is over 2 MB, then it is 413 and nothing is stored', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await putFile(fx, ticket.id, seller, pdfBytes(TICKET_FILE_MAX_BYTES + 1));
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        errors: [{ message: 'The ticket file must be at most 2 MB' }],
      });
      expect(await storedFile(fx, ticket.id)).toEqual({ row: undefined, chunkKeys: [], chunks: 0 });
    });

    it('when a chunked body runs past 2 MB, then it is 413 and the chunks already written are gone', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const pdf = pdfBytes(TICKET_FILE_MAX_BYTES + 300 * 1024);
      const pieces = Array.from({ length: 12 }, (_, i) =>
        pdf.subarray((i * pdf.length) / 12, ((i + 1) * pdf.length) / 12),
      );
      const response = await fx.app.inject({
        method: 'PUT',
        url: `/api/tickets/${ticket.id}/file`,
        headers: { ...seller.headers, 'content-type': 'application/pdf' },
        payload: Readable.from(pieces),
      });
      expect(response.statusCode).toBe(413);
      expect(await storedFile(fx, ticket.id)).toEqual({ row: undefined, chunkKeys: [], chunks: 0 });
    });

    it('when exactly 2 MB arrive, then they are accepted', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const response = await putFile(fx, ticket.id, seller, pdfBytes(TICKET_FILE_MAX_BYTES));
      expect(response.statusCode).toBe(204);
    });

    it('when someone else than the seller attaches a file, then it is 403 and nothing is stored', async () => {
      const ticket = await fx.listTicket(await fx.user());
      const response = await putFile(fx, ticket.id, await fx.user(), pdfBytes());
      expect(response.statusCode).toBe(403);
      expect(await storedFile(fx, ticket.id)).toEqual({ row: undefined, chunkKeys: [], chunks: 0 });
    });

    it('when nobody is signed in, then it is 401', async () => {
      const ticket = await fx.listTicket(await fx.user());
      expect((await putFile(fx, ticket.id, undefined, pdfBytes())).statusCode).toBe(401);
    });

    it('when the ticket is unknown or the id malformed, then it is 404', async () => {
      const seller = await fx.user();
      expect((await putFile(fx, randomUUID(), seller, pdfBytes())).statusCode).toBe(404);
      expect((await putFile(fx, 'not-an-id', seller, pdfBytes())).statusCode).toBe(404);
    });

    it('when the ticket is already sold, then the seller can still attach it (late delivery)', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const buyer = await fx.user();
      await completePurchase(fx, ticket, buyer.id);
      const pdf = pdfBytes();
      expect((await putFile(fx, ticket.id, seller, pdf)).statusCode).toBe(204);
      expect((await getFile(fx, ticket.id, buyer)).rawPayload.equals(pdf)).toBe(true);
    });

    it('when two uploads race for one ticket, then one file wins whole and no stray chunks remain', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const files = [pdfBytes(900 * 1024), pdfBytes(800 * 1024), pngBytes(700 * 1024)];
      const types = ['application/pdf', 'application/pdf', 'image/png'];
      const responses = await Promise.all(
        files.map((file, i) => putFile(fx, ticket.id, seller, file, types[i])),
      );
      expect(responses.map((r) => r.statusCode)).toEqual([204, 204, 204]);
      const { row, chunkKeys } = await storedFile(fx, ticket.id);
      expect(chunkKeys).toEqual([row?.object_key]);
      const served = (await getFile(fx, ticket.id, seller)).rawPayload;
      expect(files.map(sha256)).toContain(sha256(served));
      expect(sha256(served)).toBe(row?.sha256);
    });
  });

  describe('GET /api/tickets/:id/file', () => {
    it('when the buyer of the completed order downloads, then they get the same bytes as an attachment, and the download is recorded', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const pdf = pdfBytes(1024 * 1024);
      await putFile(fx, ticket.id, seller, pdf);
      const buyer = await fx.user();
      await completePurchase(fx, ticket, buyer.id);

      const response = await getFile(fx, ticket.id, buyer);

      expect(response.statusCode).toBe(200);
      expect(sha256(response.rawPayload)).toBe(sha256(pdf));
      expect(response.headers).toMatchObject({
        'content-type': 'application/pdf',
        'content-length': String(pdf.length),
        'content-disposition': `attachment; filename="ticket-${ticket.id}.pdf"`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      });
      const downloads = await fx.db
        .selectFrom('ticket_file_downloads')
        .select(['user_id', 'role', 'sha256', 'downloaded_at'])
        .where('ticket_id', '=', ticket.id)
        .execute();
      expect(downloads).toEqual([
        { user_id: buyer.id, role: 'buyer', sha256: sha256(pdf), downloaded_at: expect.any(Date) },
      ]);
    });

    it('when the seller downloads, then it is 200 and recorded as the seller', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const png = pngBytes();
      await putFile(fx, ticket.id, seller, png, 'image/png');
      const response = await getFile(fx, ticket.id, seller);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/png');
      expect(response.rawPayload.equals(png)).toBe(true);
      const [download] = await fx.db
        .selectFrom('ticket_file_downloads')
        .select(['user_id', 'role'])
        .where('ticket_id', '=', ticket.id)
        .execute();
      expect(download).toEqual({ user_id: seller.id, role: 'seller' });
    });

    it('when a stranger or a buyer whose order did not complete asks, then it is 403 and nothing is recorded', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      await putFile(fx, ticket.id, seller, pdfBytes());
      await completePurchase(fx, ticket, (await fx.user()).id);

      const stranger = await getFile(fx, ticket.id, await fx.user());

      expect(stranger.statusCode).toBe(403);
      expect(stranger.json()).toEqual({
        errors: [{ message: 'Only the seller and the buyer can download this ticket' }],
      });
      const downloads = await fx.db
        .selectFrom('ticket_file_downloads')
        .select('id')
        .where('ticket_id', '=', ticket.id)
        .execute();
      expect(downloads).toEqual([]);
    });

    it('when the buyer downloads the moment their order completes, before order.completed reaches tickets, then the download waits for it and is 200', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const pdf = pdfBytes();
      await putFile(fx, ticket.id, seller, pdf);
      const buyer = await fx.user();
      const order = orderCreatedData({
        userId: buyer.id,
        ticket: { id: ticket.id, price: ticket.price, version: ticket.version, userId: seller.id },
      });
      await fx.deliver('order.created', order);
      expect((await fx.ticketState(ticket.id)).status).toBe('reserved');

      const downloading = getFile(fx, ticket.id, buyer);
      await fx.deliver('order.completed', {
        id: order.id,
        version: 1,
        userId: buyer.id,
        paymentId: randomUUID(),
        ticket: { id: ticket.id, price: ticket.price, userId: seller.id, title: ticket.title },
      });
      const download = await downloading;
      expect(download.statusCode).toBe(200);
      expect(download.rawPayload.equals(pdf)).toBe(true);
    });

    it('when the seller replaces the file between a download reading its row and reading its content, then the buyer gets the new file whole', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      await putFile(fx, ticket.id, seller, pdfBytes(600 * 1024));
      const buyer = await fx.user();
      await completePurchase(fx, ticket, buyer.id);
      const replacement = pngBytes(300 * 1024);
      // The service's store, letting the replacement land (committed, the old chunks
      // deleted) just before the first content is read.
      const store = postgresFileStore(fx.db);
      const racing = replacedBeforeFirstGet(store, async () => {
        const put = await putFile(fx, ticket.id, seller, replacement, 'image/png');
        expect(put.statusCode).toBe(204);
      });

      const download = await downloadTicketFile({ db: fx.db, store: racing }, ticket.id, buyer.id);

      expect((await buffer(download.content)).equals(replacement)).toBe(true);
      expect(download.file).toMatchObject({
        content_type: 'image/png',
        size_bytes: replacement.length,
      });
      const records = await fx.db
        .selectFrom('ticket_file_downloads')
        .select(['sha256', 'role'])
        .where('ticket_id', '=', ticket.id)
        .execute();
      expect(records).toEqual([{ sha256: sha256(replacement), role: 'buyer' }]);
    });

    it('when nobody is signed in, then it is 401', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      await putFile(fx, ticket.id, seller, pdfBytes());
      expect((await getFile(fx, ticket.id, undefined)).statusCode).toBe(401);
    });

    it('when the ticket has no file, or is unknown, then it is 404', async () => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      const none = await getFile(fx, ticket.id, seller);
      expect(none.statusCode).toBe(404);
      expect(none.json()).toEqual({ errors: [{ message: 'This ticket has no file yet' }] });
      expect((await getFile(fx, randomUUID(), seller)).statusCode).toBe(404);
    });
  });

  describe('GET /api/tickets/purchased', () => {
    it('when a buyer asks, then they get the tickets they bought, newest purchase first, and no one else’s', async () => {
      const seller = await fx.user();
      const buyer = await fx.user();
      const first = await fx.listTicket(seller);
      const second = await fx.listTicket(seller);
      await fx.listTicket(seller);
      await putFile(fx, second.id, seller, pdfBytes());
      await completePurchase(fx, second, buyer.id);
      await completePurchase(fx, first, buyer.id);

      const response = await fx.app.inject({
        method: 'GET',
        url: '/api/tickets/purchased',
        headers: buyer.headers,
      });

      expect(response.statusCode).toBe(200);
      const bought = response.json() as { id: string; hasFile: boolean }[];
      expect(bought.map((t) => [t.id, t.hasFile])).toEqual([
        [first.id, false],
        [second.id, true],
      ]);
      const sellers = await fx.app.inject({
        method: 'GET',
        url: '/api/tickets/purchased',
        headers: seller.headers,
      });
      expect(sellers.json()).toEqual([]);
    });

    it('when order.completed arrives twice, then the ticket is listed once', async () => {
      const seller = await fx.user();
      const buyer = await fx.user();
      const ticket = await fx.listTicket(seller);
      await completePurchase(fx, ticket, buyer.id);
      await completePurchase(fx, ticket, (await fx.user()).id);
      const response = await fx.app.inject({
        method: 'GET',
        url: '/api/tickets/purchased',
        headers: buyer.headers,
      });
      expect(response.json().map((t: { id: string }) => t.id)).toEqual([ticket.id]);
    });

    it('when nobody is signed in, then it is 401', async () => {
      const response = await fx.app.inject({ method: 'GET', url: '/api/tickets/purchased' });
      expect(response.statusCode).toBe(401);
    });
  });
});
