import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Order, Ticket } from '@gittix/api-types';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
  waitFor,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/client.js';
import { type RunningSystem, startSystem } from '../harness/system.js';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** A caller's W3C traceparent: a fresh trace id, a span id of the caller's own. */
function traceparent(traceId: string): { header: string; spanId: string } {
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-01`, spanId };
}

/** The JSON log lines of one service that name `traceId`. */
async function logLinesOf(system: RunningSystem, service: string, traceId: string) {
  const text = await readFile(join(system.logDir, `${service}.log`), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { trace_id?: string; span_id?: string; msg?: string })
    .filter((line) => line.trace_id === traceId);
}

/** Which span to wait for: its service, kind and name. */
type Wanted = [service: string, kind: number, name: RegExp];

/**
 * Waits until the receiver holds, in trace `traceId`, a span for each entry of `wanted`,
 * and returns them by key; on time-out the error lists what the trace does hold.
 */
async function spansOf<K extends string>(
  receiver: OtlpReceiver,
  traceId: string,
  wanted: Record<K, Wanted>,
  message: string,
): Promise<Record<K, ReceivedSpan>> {
  const find = ([service, kind, name]: Wanted) =>
    receiver
      .trace(traceId)
      .find((s) => s.service === service && s.kind === kind && name.test(s.name));
  return waitFor(
    () => {
      const found = Object.fromEntries(
        Object.entries<Wanted>(wanted).map(([key, spec]) => [key, find(spec)]),
      ) as Record<K, ReceivedSpan | undefined>;
      const all = Object.values(found).every((span) => span !== undefined);
      return all && (found as Record<K, ReceivedSpan>);
    },
    { timeoutMs: 30_000, message },
  ).catch((error: unknown) => {
    const seen = receiver.trace(traceId).map((s) => `${s.service}:${s.kind}:${s.name}`);
    throw new Error(`${String(error)}; the trace holds ${seen.join(', ') || 'nothing'}`);
  });
}

/** The trace's spans by id, and the chain of span ids from one up to its root. */
function ancestry(receiver: OtlpReceiver, traceId: string) {
  const byId = new Map(receiver.trace(traceId).map((s) => [s.spanId, s]));
  const ancestors = (spanId: string): string[] => {
    const chain: string[] = [];
    for (let s = byId.get(spanId); s; s = byId.get(s.parentSpanId)) chain.push(s.spanId);
    return chain;
  };
  return { byId, ancestors };
}

describe('one purchase, one trace', () => {
  let system: RunningSystem;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    system = await startSystem({
      orderExpirationSeconds: 2,
      // Debug: consumers log each event they handle, expiration each order it expires.
      // The web app's batch processor takes the SDK's default delay (5 s) without it.
      extraEnv: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        LOG_LEVEL: 'debug',
        OTEL_BSP_SCHEDULE_DELAY: '500',
      },
    });
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });

  it('when an order is placed with a traceparent, then one trace spans gateway, orders, outbox, JetStream, tickets and expiration, and their logs name it', async () => {
    const seller = new ApiClient(system.baseUrl);
    const buyer = new ApiClient(system.baseUrl);
    await seller.signUp('seller');
    await buyer.signUp('buyer');
    const listed = await seller.post<Ticket>('/api/tickets', { title: 'Traced show', price: 20 });
    expect(listed.status).toBe(201);

    const traceId = randomBytes(16).toString('hex');
    const caller = traceparent(traceId);
    const placed = await waitFor(
      async () => {
        const response = await fetch(`${system.baseUrl}/api/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            cookie: buyer.cookieHeader,
            traceparent: caller.header,
          },
          body: JSON.stringify({ ticketId: listed.body.id }),
        });
        // 404 until the orders service's replica has the ticket.
        return response.status !== 404 && response;
      },
      { message: 'the ticket to reach the orders service' },
    );
    expect(placed.status).toBe(201);
    const order = (await placed.json()) as Order;

    // Paid in the same trace, so that payments' log lines carry it too.
    const paid = await waitFor(
      async () => {
        const response = await fetch(`${system.baseUrl}/api/payments`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            cookie: buyer.cookieHeader,
            traceparent: traceparent(traceId).header,
          },
          body: JSON.stringify({ orderId: order.id, token: 'tok_visa' }),
        });
        return response.status !== 404 && response;
      },
      { message: 'the order to reach the payments service' },
    );
    expect(paid.status).toBe(201);

    const spans = await spansOf(
      receiver,
      traceId,
      {
        gateway: ['gateway', SERVER, /^POST \/api\/orders/],
        upstream: ['gateway', CLIENT, /^POST /],
        orders: ['orders', SERVER, /^POST \/api\/orders$/],
        publish: ['orders', PRODUCER, /^order\.created publish$/],
        tickets: ['tickets', CONSUMER, /^order\.created process$/],
        expiration: ['expiration', CONSUMER, /^order\.created process$/],
        queued: ['expiration', PRODUCER, /^add order-expiration\.expire$/],
        dequeued: ['expiration', CONSUMER, /^process order-expiration$/],
        expire: ['expiration', CONSUMER, /^order expire$/],
        expired: ['expiration', PRODUCER, /^expiration\.complete publish$/],
      },
      'the order spans of every service to be exported',
    );
    const { byId, ancestors } = ancestry(receiver, traceId);
    // gateway ← caller; orders ← gateway's upstream call; publish (relay) ← the orders request.
    expect(spans.gateway.parentSpanId).toBe(caller.spanId);
    // The request that placed the order (earlier attempts answered 404 and wrote nothing).
    const placing = ancestors(spans.publish.spanId)
      .map((id) => byId.get(id))
      .find((s) => s?.service === 'orders' && s.kind === SERVER);
    expect(placing?.name).toBe(spans.orders.name);
    const upstreamCall = byId.get(placing?.parentSpanId ?? '');
    expect(upstreamCall).toMatchObject({ service: 'gateway', kind: CLIENT });
    expect(byId.get(upstreamCall?.parentSpanId ?? '')).toMatchObject({
      service: 'gateway',
      kind: SERVER,
      parentSpanId: caller.spanId,
    });
    // JetStream: each consumer's span is a child of the publish.
    expect(spans.tickets.parentSpanId).toBe(spans.publish.spanId);
    expect(spans.expiration.parentSpanId).toBe(spans.publish.spanId);
    // The BullMQ job carried it: order.created handling → BullMQ's add (a Redis write) →
    // its process, when the job fell due → expire → expiration.complete publish.
    expect(spans.queued.parentSpanId).toBe(spans.expiration.spanId);
    expect(spans.dequeued.parentSpanId).toBe(spans.queued.spanId);
    expect(spans.expire.parentSpanId).toBe(spans.dequeued.spanId);
    // BullMQ's background loops (fetching jobs, extending locks) start no trace of their own.
    const backgroundRoots = receiver
      .spans()
      .filter((s) => s.service === 'expiration' && !s.parentSpanId);
    expect(backgroundRoots.map((s) => s.name)).not.toContainEqual(
      expect.stringMatching(
        /^(getNextJob|extendLocks|startStalledCheckTimer|moveStalledJobsToWait)/,
      ),
    );
    expect(ancestors(spans.expired.spanId)).toContain(spans.expire.spanId);

    for (const service of ['gateway', 'orders', 'tickets', 'expiration', 'payments']) {
      const lines = await waitFor(
        async () => {
          const found = await logLinesOf(system, service, traceId);
          return found.length > 0 && found;
        },
        { timeoutMs: 15_000, message: `a ${service} log line with the trace id` },
      );
      expect(lines[0]?.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
  }, 120_000);

  it('when a page is asked for with a traceparent, then the web app’s render and its call to the gateway are in the caller’s trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const caller = traceparent(traceId);
    const page = await fetch(`${system.baseUrl}/`, { headers: { traceparent: caller.header } });
    expect(page.status).toBe(200);

    const spans = await spansOf(
      receiver,
      traceId,
      {
        edge: ['gateway', SERVER, /^GET \/$/],
        toWeb: ['gateway', CLIENT, /^GET Web$/],
        web: ['web', SERVER, /^GET \/$/],
        api: ['gateway', SERVER, /^GET \/api\/tickets/],
        tickets: ['tickets', SERVER, /^GET \/api\/tickets$/],
      },
      'the page’s spans to be exported',
    );
    const { byId, ancestors } = ancestry(receiver, traceId);
    // caller → gateway → its call to the web app → Next's request span (`GET`, then the
    // route's `GET /`) → the render → the page's call to the gateway → the gateway's API
    // request → tickets.
    expect(spans.edge.parentSpanId).toBe(caller.spanId);
    expect(spans.toWeb.parentSpanId).toBe(spans.edge.spanId);
    expect(ancestors(spans.web.spanId)).toContain(spans.toWeb.spanId);
    // The page makes two calls (who is signed in, the tickets): the API request's parent is one.
    const call = byId.get(spans.api.parentSpanId);
    expect(call).toMatchObject({ service: 'web', kind: CLIENT, name: 'GET gateway' });
    expect(ancestors(call?.spanId ?? '')).toContain(spans.web.spanId);
    expect(ancestors(spans.tickets.spanId)).toContain(spans.api.spanId);
    // Next's own fetch span is left out: the page's call is one CLIENT span, not two.
    expect(
      receiver.trace(traceId).filter((s) => s.service === 'web' && s.kind === CLIENT),
    ).toHaveLength(
      receiver.trace(traceId).filter((s) => s.service === 'web' && /^GET gateway$/.test(s.name))
        .length,
    );
  }, 60_000);
});
