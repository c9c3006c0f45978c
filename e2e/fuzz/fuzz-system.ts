import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { waitFor } from '@gittix/common/testing';
import { type RunningSystem, startSystem } from '../harness/system.js';
import { send } from './raw-http.js';
import type { SessionUser } from './sessions.js';
import { SystemState } from './system-state.js';

export interface Fixtures {
  seller: SessionUser;
  buyer: SessionUser;
  stranger: SessionUser;
  /** Every id that exists: users, tickets (free, reserved, sold), orders (open, paid), a payment. */
  ids: string[];
  freeTicketId: string;
  heldTicketId: string;
  openOrderId: string;
}

export interface FuzzSystem {
  system: RunningSystem;
  state: SystemState;
  fixtures: Fixtures;
  stop(): Promise<void>;
}

/**
 * Auth's limits are raised and its hashing made cheap so that thousands of
 * sign-ups and sign-ins reach validation and the database instead of the
 * per-address 429; the per-email failure limit stays as shipped.
 */
const fuzzEnv = {
  AUTH_REQUESTS_PER_MINUTE: '1000000',
  SIGNIN_MAX_FAILURES_PER_ADDRESS: '1000000',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '2',
  ARGON2_PARALLELISM: '1',
};

/**
 * With `web: false` nothing listens on the web app's port and the gateway would
 * answer 503 for every path outside /api. This stand-in answers those in the
 * error shape, so that any 5xx the fuzzer sees comes from GitTix itself.
 */
function webStandIn(port: number): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: 'Not found (web stand-in)' }] }));
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

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

async function signUp(baseUrl: string, label: string): Promise<SessionUser> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const response = await call(baseUrl, 'POST', '/api/users/signup', {
    email,
    password: 'correct horse battery',
  });
  const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const token = cookie
    .find((c) => c.startsWith('session='))
    ?.split(';')[0]
    ?.slice(8);
  if (response.status !== 201 || !token) throw new Error(`sign-up failed: ${response.status}`);
  return { id: response.body.id, email, token };
}

/** Retries an order until the orders service's replica knows the ticket. */
async function order(baseUrl: string, buyer: SessionUser, ticketId: string): Promise<string> {
  const created = await waitFor(
    async () => {
      const r = await call(baseUrl, 'POST', '/api/orders', { ticketId }, buyer.token);
      return r.status === 201 && r;
    },
    { message: 'the ticket to reach the orders replica', timeoutMs: 20_000 },
  );
  return created.body.id;
}

/**
 * Sellers, buyers and entities in every state, made through the API, so that
 * fuzzed ids and sessions can hit real rows and not only 404s and 401s.
 */
async function makeFixtures(baseUrl: string): Promise<Fixtures> {
  const [seller, buyer, stranger] = await Promise.all(
    ['seller', 'buyer', 'stranger'].map((label) => signUp(baseUrl, `fuzz-${label}`)),
  );
  const list = (title: string) =>
    call(baseUrl, 'POST', '/api/tickets', { title, price: 12.5 }, seller!.token).then(
      (r) => r.body.id as string,
    );
  const [freeTicketId, heldTicketId, soldTicketId] = await Promise.all([
    list('Free fuzz show'),
    list('Held fuzz show'),
    list('Sold fuzz show'),
  ]);
  const openOrderId = await order(baseUrl, buyer!, heldTicketId!);
  const paidOrderId = await order(baseUrl, buyer!, soldTicketId!);
  const payment = await waitFor(
    async () => {
      const r = await call(
        baseUrl,
        'POST',
        '/api/payments',
        { orderId: paidOrderId, token: 'tok_visa' },
        buyer!.token,
      );
      return r.status === 201 && r;
    },
    { message: 'the order to reach payments', timeoutMs: 20_000 },
  );
  return {
    seller: seller!,
    buyer: buyer!,
    stranger: stranger!,
    ids: [
      seller!.id,
      buyer!.id,
      stranger!.id,
      freeTicketId!,
      heldTicketId!,
      soldTicketId!,
      openOrderId,
      paidOrderId,
      payment.body.id,
    ],
    freeTicketId: freeTicketId!,
    heldTicketId: heldTicketId!,
    openOrderId,
  };
}

/** One running GitTix for a fuzz file, with fixtures made and every event settled. */
export async function startFuzzSystem(): Promise<FuzzSystem> {
  const system = await startSystem({ web: false, extraEnv: fuzzEnv });
  const web = await webStandIn(system.settings.ports.web!);
  const state = await SystemState.open(system);
  try {
    const fixtures = await makeFixtures(system.baseUrl);
    await state.settle();
    return {
      system,
      state,
      fixtures,
      async stop() {
        await state.close();
        await new Promise((resolve) => web.close(resolve));
        await system.stop();
      },
    };
  } catch (error) {
    await state.close();
    web.close();
    await system.stop();
    throw error;
  }
}

/** Every process still serves: liveness and readiness on each service's own port. */
export async function assertAllAlive(system: RunningSystem): Promise<void> {
  for (const [name, port] of Object.entries(system.settings.ports)) {
    if (name === 'web') continue;
    const path = name === 'gateway' ? '/healthz' : '/readyz';
    const response = await send(`http://127.0.0.1:${port}`, { method: 'GET', path }, 5_000).catch(
      (error: Error) => ({ status: 0, text: error.message }),
    );
    if (response.status !== 200) {
      throw new Error(
        `${name} is not ready (${response.status} ${response.text}); see ${system.logDir}/${name}.log`,
      );
    }
  }
}
