import { randomUUID } from 'node:crypto';
import type { SessionUser } from '@gittix/common';
import { startTestService, type TestEnvironment, testUser } from '@gittix/common/testing';
import type { Order } from '../src/orders.js';
import { ordersService } from '../src/service.js';
import { applyTicket } from '../src/ticket-replica.js';

export interface OrdersFixtureOptions {
  orderExpirationSeconds?: number;
  /** Any other configuration key of the orders service (ORDER_SWEEP_*, MAX_OPEN_ORDERS_PER_USER). */
  env?: Record<string, string>;
  /** Shared with other services' fixtures (one stream for both); its own otherwise. */
  environment?: TestEnvironment;
}

/**
 * The orders service as main.ts opens it, on a database, stream and signing key
 * of its own: the app (for inject), its outbox relay (not started: tests drain it)
 * and consumers that tests start when they need them.
 */
export async function createOrdersFixture(options: OrdersFixtureOptions = {}) {
  const service = await startTestService(ordersService, {
    ...(options.environment ? { environment: options.environment } : {}),
    env: {
      ORDER_EXPIRATION_SECONDS: String(options.orderExpirationSeconds ?? 900),
      ...options.env,
    },
  });
  const { app, db, environment } = service;

  /** A signed-in user and the headers that carry their session cookie. */
  async function signIn(user: SessionUser = testUser('buyer')) {
    const session = await environment.signIn(user);
    return { user, token: session.token, headers: session.cookie };
  }

  /** Puts a ticket into the replica as consuming its ticket.created would. */
  async function seedTicket(
    overrides: Partial<{ title: string; price: number; userId: string }> = {},
  ) {
    const ticket = {
      id: randomUUID(),
      title: `Concert ${randomUUID().slice(0, 8)}`,
      price: 42.5,
      userId: randomUUID(),
      ...overrides,
    };
    await db
      .transaction()
      .execute((trx) => applyTicket(trx, { ...ticket, version: 0, orderId: null }));
    return ticket;
  }

  /** POST /api/orders for a ticket, as the signed-in caller of `headers`. */
  function orderTicket(ticketId: string, headers: Record<string, string>) {
    return app.inject({ method: 'POST', url: '/api/orders', headers, payload: { ticketId } });
  }

  /** A new buyer orders a new ticket; fails unless that gives 201. */
  async function placeOrder() {
    const ticket = await seedTicket();
    const buyer = await signIn();
    const response = await orderTicket(ticket.id, buyer.headers);
    if (response.statusCode !== 201) {
      throw new Error(`placing an order failed: ${response.statusCode} ${response.body}`);
    }
    return { ticket, buyer, order: response.json() as Order };
  }

  return Object.assign(service, { signIn, seedTicket, orderTicket, placeOrder });
}

export type OrdersFixture = Awaited<ReturnType<typeof createOrdersFixture>>;
