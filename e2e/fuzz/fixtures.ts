import { randomUUID } from 'node:crypto';
import { waitFor } from '@gittix/common/testing';
import { send } from './raw-http.js';
import type { SessionUser } from './sessions.js';

/** The entities a fuzzed id may name, by the state they are in. */
export const roles = [
  'seller',
  'buyer',
  'stranger',
  'freeTicket',
  'heldTicket',
  'soldTicket',
  'openOrder',
  'paidOrder',
  'payment',
  'event',
] as const;
export type Role = (typeof roles)[number];

async function call(baseUrl: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.cookie = `session=${token}`;
  const response = await send(baseUrl, {
    method,
    path,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { ...response, body: response.text ? JSON.parse(response.text) : undefined };
}

/** A new user through the API, with the session its sign-up opened. */
export async function signUp(baseUrl: string, label: string): Promise<SessionUser> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const response = await call(baseUrl, 'POST', '/api/users/signup', {
    email,
    password: 'correct horse battery',
  });
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const token = cookies
    .find((c) => c.startsWith('session='))
    ?.split(';')[0]
    ?.slice(8);
  if (response.status !== 201 || !token) throw new Error(`sign-up failed: ${response.status}`);
  return { id: response.body.id, email, token };
}

/**
 * Users and entities in every state, made through the API, so that fuzzed ids and
 * sessions hit real rows and business rules, not only 404s and 401s. The fuzzer's
 * own successes use them up (an order paid, a free ticket ordered): `replenish`
 * puts a fresh entity in each role that lost its state, so the thousandth run
 * still finds an open order to pay. Arbitraries draw a role and read its id when
 * the value is generated, so a replayed counterexample names the same role.
 */
export class Fixtures {
  readonly ids = {} as Record<Role, string>;

  private constructor(
    private readonly baseUrl: string,
    readonly seller: SessionUser,
    readonly buyer: SessionUser,
    readonly stranger: SessionUser,
  ) {
    Object.assign(this.ids, { seller: seller.id, buyer: buyer.id, stranger: stranger.id });
  }

  static async make(baseUrl: string): Promise<Fixtures> {
    const [seller, buyer, stranger] = await Promise.all(
      ['seller', 'buyer', 'stranger'].map((label) => signUp(baseUrl, `fuzz-${label}`)),
    );
    const fixtures = new Fixtures(baseUrl, seller!, buyer!, stranger!);
    const event = await call(
      baseUrl,
      'POST',
      '/api/events',
      {
        name: `Fuzz festival ${randomUUID().slice(0, 8)}`,
        venue: 'Fuzz hall',
        city: 'Fuzzton',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
      seller!.token,
    );
    if (event.status !== 201) throw new Error(`adding the fixture event failed: ${event.text}`);
    fixtures.ids.event = event.body.id;
    const [sold, free] = await Promise.all([
      fixtures.list('Sold fuzz show'),
      fixtures.list('Free fuzz show'),
    ]);
    fixtures.ids.soldTicket = sold;
    fixtures.ids.freeTicket = free;
    fixtures.ids.paidOrder = await fixtures.order(sold);
    fixtures.ids.payment = await fixtures.pay(fixtures.ids.paidOrder);
    await fixtures.replenish();
    return fixtures;
  }

  /** Puts a new open order (and its held ticket) and a new free ticket where they were used up. */
  async replenish(): Promise<boolean> {
    let changed = false;
    const open = this.ids.openOrder
      ? await call(
          this.baseUrl,
          'GET',
          `/api/orders/${this.ids.openOrder}`,
          undefined,
          this.buyer.token,
        )
      : undefined;
    if (open?.body?.status !== 'created') {
      this.ids.heldTicket = await this.list('Held fuzz show');
      this.ids.openOrder = await this.order(this.ids.heldTicket);
      changed = true;
    }
    const free = await call(this.baseUrl, 'GET', `/api/tickets/${this.ids.freeTicket}`);
    // Ordered, or withdrawn by a fuzzed DELETE: either way no longer free.
    if (free.body?.status !== 'available') {
      this.ids.freeTicket = await this.list('Free fuzz show');
      changed = true;
    }
    return changed;
  }

  private async list(title: string): Promise<string> {
    const r = await call(
      this.baseUrl,
      'POST',
      '/api/tickets',
      { title, price: 12.5, eventId: this.ids.event },
      this.seller.token,
    );
    if (r.status !== 201) throw new Error(`listing a fixture ticket failed: ${r.status} ${r.text}`);
    return r.body.id;
  }

  /** Orders as the buyer, once the orders service's replica knows the ticket. */
  private async order(ticketId: string): Promise<string> {
    const created = await waitFor(
      async () => {
        const r = await call(this.baseUrl, 'POST', '/api/orders', { ticketId }, this.buyer.token);
        return r.status === 201 && r;
      },
      { message: 'the ticket to reach the orders replica', timeoutMs: 20_000 },
    );
    return created.body.id;
  }

  private async pay(orderId: string): Promise<string> {
    const paid = await waitFor(
      async () => {
        const body = { orderId, token: 'tok_visa' };
        const r = await call(this.baseUrl, 'POST', '/api/payments', body, this.buyer.token);
        return r.status === 201 && r;
      },
      { message: 'the order to reach payments', timeoutMs: 20_000 },
    );
    return paid.body.id;
  }
}
