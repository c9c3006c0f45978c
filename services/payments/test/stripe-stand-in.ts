import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  params: URLSearchParams;
}

interface Reply {
  status: number;
  body: unknown;
}

/** `up` answers like Stripe; `error` is a 500 outage; `hangup` closes the connection unanswered. */
export type StandInMode = 'up' | 'error' | 'hangup';

export const STAND_IN_SECRET_KEY = 'sk_test_gittix_stand_in';
const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** The `metadata[key]=value` pairs of a form-encoded Stripe request. */
function metadataOf(params: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of params) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    if (match) metadata[match[1]!] = value;
  }
  return metadata;
}

function paymentIntent(params: URLSearchParams, status: string) {
  const intentId = id('pi');
  return {
    id: intentId,
    object: 'payment_intent',
    amount: Number(params.get('amount')),
    amount_capturable: 0,
    amount_received: status === 'succeeded' ? Number(params.get('amount')) : 0,
    automatic_payment_methods: { allow_redirects: 'never', enabled: true },
    canceled_at: null,
    capture_method: 'automatic',
    client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`,
    confirmation_method: 'automatic',
    created: now(),
    currency: params.get('currency'),
    customer: null,
    description: params.get('description'),
    last_payment_error: null,
    latest_charge: status === 'succeeded' ? id('ch') : null,
    livemode: false,
    metadata: metadataOf(params),
    next_action: null,
    payment_method: id('pm'),
    payment_method_types: ['card'],
    status,
  };
}

function createPaymentIntent(params: URLSearchParams): Reply {
  const token = params.get('payment_method_data[card][token]');
  if (token === 'tok_visa') return { status: 200, body: paymentIntent(params, 'succeeded') };
  if (token === 'tok_chargeDeclined') {
    return {
      status: 402,
      body: {
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
          doc_url: 'https://stripe.com/docs/error-codes/card-declined',
          payment_intent: paymentIntent(params, 'requires_payment_method'),
        },
      },
    };
  }
  return {
    status: 400,
    body: {
      error: {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'payment_method_data[card][token]',
        message: `No such token: '${token}'`,
      },
    },
  };
}

function createRefund(params: URLSearchParams): Reply {
  return {
    status: 200,
    body: {
      id: id('re'),
      object: 'refund',
      amount: 2550,
      currency: 'usd',
      created: now(),
      metadata: metadataOf(params),
      payment_intent: params.get('payment_intent'),
      reason: null,
      status: 'succeeded',
    },
  };
}

function send(response: ServerResponse, reply: Reply, replayed = false) {
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'request-id': id('req'),
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
  response.end(JSON.stringify(reply.body));
}

/**
 * A local stand-in for the slice of Stripe's API that payments uses, with Stripe's
 * idempotency: a key's first answer is replayed for every repeat (5xx excepted,
 * as an outage is not an answer). Counts what was created.
 */
export async function startStripeStandIn() {
  const requests: StandInRequest[] = [];
  const replies = new Map<string, Reply>();
  const state = { mode: 'up' as StandInMode, paymentIntentsCreated: 0, refundsCreated: 0 };

  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const params = new URLSearchParams(body);
      const path = request.url ?? '/';
      requests.push({ method: request.method ?? 'GET', path, headers: request.headers, params });
      if (state.mode === 'hangup') return request.socket.destroy();
      if (request.headers.authorization !== `Bearer ${STAND_IN_SECRET_KEY}`) {
        const message = 'Invalid API Key provided';
        return send(response, {
          status: 401,
          body: { error: { type: 'invalid_request_error', message } },
        });
      }
      if (state.mode === 'error') {
        const error = { type: 'api_error', message: 'An unknown error occurred' };
        return send(response, { status: 500, body: { error } });
      }
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string') {
        const error = { type: 'invalid_request_error', message: 'Idempotency-Key expected here' };
        return send(response, { status: 400, body: { error } });
      }
      const replay = replies.get(key);
      if (replay) return send(response, replay, true);
      let reply: Reply;
      if (request.method === 'POST' && path === '/v1/payment_intents') {
        reply = createPaymentIntent(params);
        if (reply.status !== 400) state.paymentIntentsCreated++;
      } else if (request.method === 'POST' && path === '/v1/refunds') {
        reply = createRefund(params);
        state.refundsCreated++;
      } else {
        reply = {
          status: 404,
          body: { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } },
        };
      }
      // Stripe keeps no result for a request that failed validation.
      if (reply.status !== 400) replies.set(key, reply);
      send(response, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    paymentIntentRequests: () => requests.filter((r) => r.path === '/v1/payment_intents'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
