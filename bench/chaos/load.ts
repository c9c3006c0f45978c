import { randomUUID } from 'node:crypto';
import { isUnavailable, LoadClient, type Outcome, type RequestLog } from './client.js';

/** What a buyer means to do with an order once it has one. */
export const intents = [
  'pay',
  'decline-then-pay',
  'unpaid',
  'cancel',
  'cancel-then-pay',
  'late-pay',
] as const;
export type Intent = (typeof intents)[number];

/** Share of orders per intent (sums to 1). */
const INTENT_WEIGHTS: Record<Intent, number> = {
  pay: 0.4,
  'decline-then-pay': 0.15,
  unpaid: 0.15,
  cancel: 0.15,
  'cancel-then-pay': 0.1,
  'late-pay': 0.05,
};

/** Writes the system acknowledged to a client: they must all be there at the end. */
export interface Acknowledged {
  users: number;
  tickets: Set<string>;
  orders: Map<string, { intent: Intent; expiresAt: string; ticketId: string }>;
  /** orderId → paymentId, for every 201 from POST /api/payments. */
  payments: Map<string, string>;
  /** Orders a DELETE answered 204 for. */
  cancelled: Set<string>;
  declined: number;
}

/** No write acknowledged yet: where a run starts. */
export function nothingAcknowledged(): Acknowledged {
  return {
    users: 0,
    tickets: new Set(),
    orders: new Map(),
    payments: new Map(),
    cancelled: new Set(),
    declined: 0,
  };
}

export interface LoadOptions {
  baseUrl: string;
  /** Several gateways (cluster mode): virtual user i goes through baseUrls[i % n]. */
  baseUrls?: string[];
  virtualUsers: number;
  log: RequestLog;
}

interface Ticket {
  id: string;
  userId: string;
}
interface Order {
  id: string;
  expiresAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

function pickIntent(): Intent {
  let roll = Math.random();
  for (const intent of intents) {
    roll -= INTENT_WEIGHTS[intent];
    if (roll <= 0) return intent;
  }
  return 'pay';
}

/**
 * Virtual users buying through the gateway for as long as the run lasts. Each
 * iteration lists a ticket (as its seller), picks an available one, orders it and
 * then pays, pays after a declined card, cancels, cancels and still tries to pay,
 * pays at the last moment, or walks away. Faults make requests fail: a user
 * retries what is safe to retry (reads, payments — idempotent per order) until a
 * deadline and otherwise moves on; nothing it does assumes a request succeeded.
 */
export class BuyAndPayLoad {
  readonly acknowledged = nothingAcknowledged();
  iterations = 0;
  private stopping = false;
  private running: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    for (let i = 0; i < this.options.virtualUsers; i++) {
      this.running.push(this.virtualUser(i).catch(() => {}));
    }
  }

  /** Lets every user finish its step and stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  private client(index: number): LoadClient {
    const urls = this.options.baseUrls ?? [this.options.baseUrl];
    return new LoadClient(urls[index % urls.length]!, this.options.log);
  }

  /** Retries `attempt` while it answers "unavailable" (or `retryOn`), until the deadline. */
  private async retrying<T>(
    attempt: () => Promise<{ outcome: Outcome } & T>,
    deadlineMs: number,
    retryOn: (outcome: Outcome) => boolean = () => false,
  ): Promise<{ outcome: Outcome } & T> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const result = await attempt();
      const retry = isUnavailable(result.outcome) || retryOn(result.outcome);
      if (!retry || this.stopping || Date.now() > deadline) return result;
      await sleep(between(200, 500));
    }
  }

  private async signUp(client: LoadClient, label: string): Promise<boolean> {
    const email = `${label}-${randomUUID().slice(0, 12)}@chaos.example.com`;
    const response = await this.retrying(
      () =>
        client.post<{ id: string }>('/api/users/signup', {
          email,
          password: 'correct horse battery',
        }),
      15_000,
    );
    // A 400 "Email in use" after a retry means the first attempt did sign up: sign in.
    if (response.outcome === 400) {
      const signedIn = await client.post<{ id: string }>('/api/users/signin', {
        email,
        password: 'correct horse battery',
      });
      if (signedIn.outcome !== 200 || !signedIn.body) return false;
      client.userId = signedIn.body.id;
      return true;
    }
    if (response.outcome !== 201 || !response.body) return false;
    client.userId = response.body.id;
    this.acknowledged.users++;
    return true;
  }

  private async virtualUser(index: number): Promise<void> {
    const seller = this.client(index);
    let buyer = this.client(index);
    while (!this.stopping && !(await this.signUp(seller, `seller${index}`))) await sleep(1_000);
    while (!this.stopping && !(await this.signUp(buyer, `buyer${index}`))) await sleep(1_000);
    while (!this.stopping) {
      this.iterations++;
      // Now and then a new buyer, so auth keeps taking writes through the faults.
      if (Math.random() < 0.1) {
        const fresh = this.client(index);
        if (await this.signUp(fresh, `buyer${index}`)) buyer = fresh;
      }
      await buyer.get('/api/users/currentuser');
      await this.listTicket(seller, index);
      const ticket = await this.pickTicket(buyer);
      if (ticket) await this.buy(buyer, ticket);
      await sleep(between(300, 900));
    }
  }

  private async listTicket(seller: LoadClient, index: number): Promise<void> {
    const created = await seller.post<Ticket>('/api/tickets', {
      title: `Chaos show ${index}-${this.iterations}`,
      price: Math.round(between(5, 250) * 100) / 100,
    });
    if (created.outcome === 201 && created.body) this.acknowledged.tickets.add(created.body.id);
  }

  private async pickTicket(buyer: LoadClient): Promise<Ticket | undefined> {
    const listed = await this.retrying(
      () => buyer.get<Ticket[]>('/api/tickets?available=true&limit=50'),
      5_000,
    );
    if (listed.outcome !== 200 || !Array.isArray(listed.body)) return undefined;
    const candidates = listed.body.filter((t) => t.userId !== buyer.userId);
    return candidates[Math.floor(Math.random() * candidates.length)];
  }

  private async buy(buyer: LoadClient, ticket: Ticket): Promise<void> {
    // 404 until the ticket reaches the orders service's replica.
    const ordered = await this.retrying(
      () => buyer.post<Order>('/api/orders', { ticketId: ticket.id }),
      8_000,
      (outcome) => outcome === 404,
    );
    if (ordered.outcome !== 201 || !ordered.body) return;
    const order = ordered.body;
    const intent = pickIntent();
    this.acknowledged.orders.set(order.id, {
      intent,
      expiresAt: order.expiresAt,
      ticketId: ticket.id,
    });
    const untilExpiry = Date.parse(order.expiresAt) - Date.now();
    switch (intent) {
      case 'pay':
        await this.pay(buyer, order, 'tok_visa', untilExpiry);
        break;
      case 'decline-then-pay':
        if ((await this.pay(buyer, order, 'tok_chargeDeclined', untilExpiry)) === 402) {
          await this.pay(buyer, order, 'tok_visa', untilExpiry);
        }
        break;
      case 'unpaid':
        break;
      case 'cancel':
        await this.cancel(buyer, order);
        break;
      case 'cancel-then-pay':
        await this.cancel(buyer, order);
        await this.pay(buyer, order, 'tok_visa', 3_000);
        break;
      case 'late-pay':
        // Pays just before the hold ends: races the expiry (a void if the cancel wins).
        while (!this.stopping && Date.parse(order.expiresAt) - Date.now() > 300) await sleep(200);
        if (!this.stopping) await this.pay(buyer, order, 'tok_visa', 2_000);
        break;
    }
  }

  private async pay(buyer: LoadClient, order: Order, token: string, deadlineMs: number) {
    // 404 until the order reaches the payments service's replica; a repeat is safe
    // (one charge per order and attempt).
    const paid = await this.retrying(
      () => buyer.post<{ id: string }>('/api/payments', { orderId: order.id, token }),
      Math.max(deadlineMs, 1_000),
      (outcome) => outcome === 404,
    );
    if (paid.outcome === 201 && paid.body) this.acknowledged.payments.set(order.id, paid.body.id);
    if (paid.outcome === 402) this.acknowledged.declined++;
    return paid.outcome;
  }

  private async cancel(buyer: LoadClient, order: Order): Promise<void> {
    const cancelled = await this.retrying(() => buyer.delete(`/api/orders/${order.id}`), 10_000);
    if (cancelled.outcome === 204) this.acknowledged.cancelled.add(order.id);
  }
}
