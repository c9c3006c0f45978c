import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersFixture, type OrdersFixture } from './fixtures.js';

describe('admission control in orders (ADMISSION_MAX_IN_FLIGHT=1)', () => {
  let f: OrdersFixture;
  let port: number;

  beforeAll(async () => {
    f = await createOrdersFixture({
      env: { ADMISSION_MAX_IN_FLIGHT: '1', ADMISSION_RETRY_AFTER_SECONDS: '2' },
    });
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    port = (f.app.server.address() as AddressInfo).port;
  });
  afterAll(() => f?.close());

  const ordersOf = async (ticketId: string) =>
    Number(
      (
        await sql<{
          n: string;
        }>`SELECT count(*) AS n FROM orders WHERE ticket_id = ${ticketId}`.execute(f.db)
      ).rows[0]!.n,
    );

  it('when one order is in flight, then parallel orders get 503 + Retry-After in the error shape and create nothing; the one in flight completes', async () => {
    const held = await f.seedTicket();
    const others = await Promise.all([1, 2, 3, 4].map(() => f.seedTicket()));
    const buyer = await f.signIn();

    // An order whose body is still on its way holds the one place.
    const body = JSON.stringify({ ticketId: held.id });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.write(
      `POST /api/orders HTTP/1.1\r\nHost: orders\r\nContent-Type: application/json\r\n` +
        `Cookie: ${buyer.headers.cookie}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    await waitFor(() => f.app.admission.inFlight() === 1, {
      timeoutMs: 10_000,
      message: 'the held order in flight',
    });

    const refused = await Promise.all(
      others.map((ticket) =>
        fetch(`http://127.0.0.1:${port}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: buyer.headers.cookie! },
          body: JSON.stringify({ ticketId: ticket.id }),
        }),
      ),
    );
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toEqual({
        errors: [{ message: 'The service is busy; retry in 2 s' }],
      });
    }
    for (const ticket of others) expect(await ordersOf(ticket.id)).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    socket.write(body.slice(5));
    await waitFor(() => answer.includes('\r\n\r\n') && answer, {
      timeoutMs: 10_000,
      message: 'the held order answered',
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(await ordersOf(held.id)).toBe(1);

    // Its place is free: the refused buyer's retry goes through.
    await waitFor(() => f.app.admission.inFlight() === 0, { timeoutMs: 10_000 });
    const retry = await f.orderTicket(others[0]!.id, buyer.headers);
    expect(retry.statusCode).toBe(201);
  });
});
