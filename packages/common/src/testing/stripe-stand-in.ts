import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  params: URLSearchParams;
  /** The URL's query (a GET's parameters: `expand[]`). */
  query: URLSearchParams;
}

interface Reply {
  status: number;
  body: unknown;
}

/** `up` answers like Stripe; `error` is a 500 outage; `hangup` closes the connection unanswered. */
export type StandInMode = 'up' | 'error' | 'hangup';

export const STAND_IN_SECRET_KEY = 'sk_test_gittix_stand_in';
const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const HOUR_MS = 3_600_000;

/** The `metadata[key]=value` pairs of a form-encoded Stripe request. */
function metadataOf(params: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of params) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    if (match) metadata[match[1]!] = value;
  }
  return metadata;
}

type Intent = Record<string, unknown> & {
  id: string;
  status: string;
  amount: number;
  created: number;
  metadata: Record<string, string>;
  /** The refunds of its charge (Stripe keeps them on the charge, `latest_charge`). */
  refunds: Record<string, unknown>[];
  /** Its charge's balance transaction: made when the charge is captured, null before. */
  balance_transaction?: Record<string, unknown> | null;
};

/**
 * Stripe's processing fee in the stand-in: 2.9 % + 30¢ of a US card charge, rounded
 * to the cent (what a standard US account pays); tests read it to check the ledger.
 */
export function standInProcessingFee(amountCents: number): number {
  return Math.round(amountCents * 0.029) + 30;
}

/** The balance transaction of a captured charge: its amount in, Stripe's fee out. */
function chargeFunds(intent: Intent, created: number): Record<string, unknown> {
  const fee = standInProcessingFee(intent.amount);
  return {
    id: id('txn'),
    object: 'balance_transaction',
    amount: intent.amount,
    currency: intent.currency,
    fee,
    fee_details: [{ type: 'stripe_fee', amount: fee, currency: intent.currency }],
    net: intent.amount - fee,
    reporting_category: 'charge',
    source: intent.latest_charge,
    status: 'pending',
    type: 'charge',
    created,
    available_on: created + 2 * 24 * 3600,
  };
}

/** A Dispute as Stripe sends it in `charge.dispute.*` events (one per charge). */
export type StandInDispute = Record<string, unknown> & {
  id: string;
  object: 'dispute';
  amount: number;
  charge: string;
  payment_intent: string;
  status: string;
  is_charge_refundable: boolean;
  balance_transactions: Record<string, unknown>[];
};

type Account = Record<string, unknown> & {
  id: string;
  payouts_enabled: boolean;
  details_submitted: boolean;
  charges_enabled: boolean;
  capabilities: { transfers: 'active' | 'inactive' | 'pending' | null };
  metadata: Record<string, string>;
};

function paymentIntent(params: URLSearchParams, status: string, created: number): Intent {
  const intentId = id('pi');
  const manual = params.get('capture_method') === 'manual';
  const amount = Number(params.get('amount'));
  return {
    id: intentId,
    object: 'payment_intent',
    amount,
    amount_capturable: status === 'requires_capture' ? amount : 0,
    amount_received: status === 'succeeded' ? amount : 0,
    automatic_payment_methods: { allow_redirects: 'never', enabled: true },
    canceled_at: null,
    capture_method: manual ? 'manual' : 'automatic',
    client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`,
    confirmation_method: 'automatic',
    created,
    currency: params.get('currency'),
    customer: null,
    description: params.get('description'),
    last_payment_error: null,
    latest_charge: status === 'succeeded' || status === 'requires_capture' ? id('ch') : null,
    livemode: false,
    metadata: metadataOf(params),
    next_action: null,
    payment_method: id('pm'),
    payment_method_types: ['card'],
    status,
    refunds: [],
  };
}

/**
 * The PaymentIntent as Stripe shows it: its refunds live on its charge, expanded on
 * request (`latest_charge`); since API 2022-11-15 the charge's `refunds` list only when
 * asked for too (`latest_charge.refunds`).
 */
function shown(intent: Intent, expand: string[] = []): Record<string, unknown> {
  const { refunds, ...shownIntent } = intent;
  const expandRefunds = expand.includes('latest_charge.refunds');
  const expandFunds = expand.includes('latest_charge.balance_transaction');
  const expandCharge = expandRefunds || expandFunds || expand.includes('latest_charge');
  const { balance_transaction: funds, ...shownWithoutFunds } = shownIntent;
  if (!expandCharge || typeof intent.latest_charge !== 'string') return shownWithoutFunds;
  const refunded = refunds.reduce((sum, refund) => sum + Number(refund.amount), 0);
  return {
    ...shownWithoutFunds,
    latest_charge: {
      id: intent.latest_charge,
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount_received,
      amount_refunded: refunded,
      balance_transaction: expandFunds ? (funds ?? null) : (funds?.id ?? null),
      captured: intent.status === 'succeeded',
      payment_intent: intent.id,
      refunded: refunded > 0 && refunded >= intent.amount,
      ...(expandRefunds
        ? { refunds: { object: 'list', data: [...refunds].reverse(), has_more: false } }
        : {}),
      status: 'succeeded',
    },
  };
}

/**
 * A balance transaction of a dispute: the disputed amount (and the network's fee)
 * withdrawn from the platform's balance, or the amount put back when it is won.
 */
function disputeFunds(dispute: StandInDispute, withdrawn: boolean, created: number) {
  const fee = withdrawn ? 1500 : 0;
  const amount = withdrawn ? -dispute.amount : dispute.amount;
  return {
    id: id('txn'),
    object: 'balance_transaction',
    amount,
    currency: dispute.currency,
    created,
    available_on: created,
    description: `Chargeback ${withdrawn ? 'withdrawal' : 'reversal'} for ${dispute.charge}`,
    fee,
    fee_details: withdrawn
      ? [
          {
            amount: fee,
            currency: dispute.currency,
            description: 'Dispute fee',
            type: 'stripe_fee',
          },
        ]
      : [],
    net: amount - fee,
    reporting_category: withdrawn ? 'dispute' : 'dispute_reversal',
    source: dispute.id,
    status: 'pending',
    type: 'adjustment',
  };
}

/**
 * The cardholder disputes `intent`'s charge: a chargeback (`needs_response`, the money
 * withdrawn at once, refunds refused) or an inquiry (`warning_needs_response`: nothing
 * withdrawn yet, the charge still refundable).
 */
function newDispute(
  intent: Intent,
  options: { amount?: number; reason?: string; inquiry?: boolean },
  created: number,
): StandInDispute {
  const inquiry = options.inquiry ?? false;
  const dispute: StandInDispute = {
    id: id('du'),
    object: 'dispute',
    amount: options.amount ?? intent.amount,
    balance_transactions: [],
    charge: String(intent.latest_charge),
    created,
    currency: String(intent.currency ?? 'usd'),
    enhanced_eligibility_types: [],
    evidence: { customer_email_address: null, product_description: null, uncategorized_text: null },
    evidence_details: {
      due_by: created + 14 * 24 * 3600,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    intended_submission_method: null,
    is_charge_refundable: inquiry,
    livemode: false,
    metadata: {},
    network_reason_code: '10.4',
    payment_intent: intent.id,
    payment_method_details: {
      card: {
        brand: 'visa',
        case_type: inquiry ? 'inquiry' : 'chargeback',
        network_reason_code: '10.4',
      },
      type: 'card',
    },
    reason: options.reason ?? 'fraudulent',
    status: inquiry ? 'warning_needs_response' : 'needs_response',
  };
  if (!inquiry) dispute.balance_transactions.push(disputeFunds(dispute, true, created));
  return dispute;
}

function createPaymentIntent(
  params: URLSearchParams,
  created: number,
): Reply & { intent?: Intent } {
  const token = params.get('payment_method_data[card][token]');
  // Stripe's test tokens for cards that authorize (the stand-in knows these two).
  if (token === 'tok_visa' || token === 'tok_mastercard') {
    const manual = params.get('capture_method') === 'manual';
    const intent = paymentIntent(params, manual ? 'requires_capture' : 'succeeded', created);
    if (!manual) intent.balance_transaction = chargeFunds(intent, created);
    return { status: 200, body: shown(intent), intent };
  }
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
          payment_intent: paymentIntent(params, 'requires_payment_method', created),
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

/**
 * What Stripe compares when a key is used again: the same endpoint and the same
 * parameters (in any order), or the request is refused.
 */
function fingerprint(method: string, path: string, params: URLSearchParams): string {
  const pairs = [...params].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return `${method} ${path}?${pairs.sort().join('&')}`;
}

/** Stripe's answer to a key reused with other parameters (the SDK's StripeIdempotencyError). */
function idempotencyMismatch(key: string): Reply {
  return {
    status: 400,
    body: {
      error: {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      },
    },
  };
}

function invalid(message: string, status = 400): Reply {
  return { status, body: { error: { type: 'invalid_request_error', message } } };
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
 * A local stand-in for the slice of Stripe's API that payments uses, for the real
 * `stripe` SDK pointed at it with STRIPE_API_BASE (payments' tests, and browser
 * tests of the whole system): PaymentIntents, refunds, disputes (which tests open, win
 * or lose, getting the Dispute object Stripe's events carry), Connect accounts, account
 * links (their URL is an onboarding page that completes at once and redirects to
 * `return_url`) and transfers, with Stripe's idempotency: a key's first answer is
 * replayed for every repeat with the same parameters (5xx and validation failures
 * excepted, as Stripe keeps neither), and a repeat with other parameters (another
 * endpoint, card token or metadata) is refused with Stripe's 400 `idempotency_error`.
 * Counts what was created.
 */
export async function startStripeStandIn() {
  const requests: StandInRequest[] = [];
  /** Per idempotency key: the first answer, and the request it answered. */
  const replies = new Map<string, { reply: Reply; fingerprint: string; at: number }>();
  const intents = new Map<string, Intent>();
  const accounts = new Map<string, Account>();
  const transfers = new Map<string, Record<string, unknown> & { transfer_group: string | null }>();
  const links: { id: string; account: string; refreshUrl: string; returnUrl: string }[] = [];
  /** The dispute of each disputed PaymentIntent's charge (Stripe allows one per charge). */
  const disputes = new Map<string, StandInDispute>();
  /** The PaymentIntents whose refund was refused for a dispute, once per refusal. */
  const disputeRefusals: string[] = [];
  let baseUrl = '';
  /** The stand-in's clock, which tests move forward (`advanceClock`): keys and holds age by it. */
  let clockOffsetMs = 0;
  const nowMs = () => Date.now() + clockOffsetMs;
  const now = () => Math.floor(nowMs() / 1000);
  const state = {
    mode: 'up' as StandInMode,
    /** Answers this much later (the work is done at once): a timeout after success. */
    delayMs: 0,
    paymentIntentsCreated: 0,
    refundsCreated: 0,
    captures: 0,
    cancels: 0,
    transfers: 0,
    accountsCreated: 0,
    accountLinks: 0,
    /** How long a key's answer is replayed (Stripe: 24 hours); later the key is a new request. */
    keyRetentionMs: 24 * HOUR_MS,
    /** How long an uncaptured PaymentIntent holds the money before Stripe cancels it (7 days). */
    holdLifetimeMs: 7 * 24 * HOUR_MS,
    /** Captures make no balance transaction until `settleFunds` (Stripe makes it at once). */
    fundsLate: false,
  };

  /** The intent, canceled first if its authorization outlived the hold's lifetime, as Stripe does. */
  function current(intentId: string): Intent | undefined {
    const intent = intents.get(intentId);
    if (intent?.status === 'requires_capture') {
      if (nowMs() - intent.created * 1000 > state.holdLifetimeMs) {
        intent.status = 'canceled';
        intent.cancellation_reason = 'automatic';
        intent.canceled_at = now();
        intent.amount_capturable = 0;
      }
    }
    return intent;
  }

  /** Stripe's refusal of an action the PaymentIntent's status does not allow. */
  function unexpectedState(intent: Intent, verb: string): Reply {
    return {
      status: 400,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'payment_intent_unexpected_state',
          message: `This PaymentIntent could not be ${verb} because it has a status of ${intent.status}.`,
          doc_url: 'https://stripe.com/docs/error-codes/payment-intent-unexpected-state',
          payment_intent: shown(intent),
        },
      },
    };
  }

  function capture(intentId: string): Reply {
    const intent = current(intentId);
    if (!intent) return invalid(`No such payment_intent: '${intentId}'`, 404);
    if (intent.status !== 'requires_capture') return unexpectedState(intent, 'captured');
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.amount_capturable = 0;
    // Stripe makes it with the capture; a test may hold it back (`fundsLate`) to see a
    // reader that finds none yet.
    intent.balance_transaction = state.fundsLate ? null : chargeFunds(intent, now());
    state.captures++;
    return { status: 200, body: shown(intent) };
  }

  function cancel(intentId: string): Reply {
    const intent = current(intentId);
    if (!intent) return invalid(`No such payment_intent: '${intentId}'`, 404);
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      return unexpectedState(intent, 'canceled');
    }
    intent.status = 'canceled';
    intent.cancellation_reason = 'abandoned';
    intent.canceled_at = now();
    intent.amount_capturable = 0;
    state.cancels++;
    return { status: 200, body: shown(intent) };
  }

  function refund(params: URLSearchParams): Reply {
    const intent = current(params.get('payment_intent') ?? '');
    if (!intent) return invalid('Nothing to refund');
    if (intent.status !== 'succeeded') return invalid('Nothing to refund');
    // Stripe refuses while a chargeback is open or after it is lost; an inquiry or a
    // won dispute leaves the charge refundable.
    if (disputes.get(intent.id)?.is_charge_refundable === false) {
      disputeRefusals.push(intent.id);
      return {
        status: 400,
        body: {
          error: {
            type: 'invalid_request_error',
            code: 'charge_disputed',
            message: `Charge ${intent.latest_charge} has been charged back; cannot issue a refund.`,
            doc_url: 'https://stripe.com/docs/error-codes/charge-disputed',
          },
        },
      };
    }
    if (intent.refunds.length > 0) {
      return {
        status: 400,
        body: {
          error: {
            type: 'invalid_request_error',
            code: 'charge_already_refunded',
            message: `Charge ${intent.latest_charge} has already been refunded.`,
            doc_url: 'https://stripe.com/docs/error-codes/charge-already-refunded',
          },
        },
      };
    }
    state.refundsCreated++;
    const created = {
      id: id('re'),
      object: 'refund',
      amount: intent.amount,
      charge: intent.latest_charge,
      currency: 'usd',
      created: now(),
      metadata: metadataOf(params),
      payment_intent: intent.id,
      reason: null,
      status: 'succeeded',
    };
    intent.refunds.push(created);
    return { status: 200, body: created };
  }

  /** A Connect Express account, not onboarded yet: nothing can be paid out to it. */
  function createAccount(params: URLSearchParams): Reply {
    if (params.get('type') !== 'express') return invalid('Only express accounts here');
    const account: Account = {
      id: id('acct'),
      object: 'account',
      type: 'express',
      email: params.get('email'),
      country: 'US',
      default_currency: 'usd',
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      capabilities: {
        transfers: params.get('capabilities[transfers][requested]') === 'true' ? 'inactive' : null,
      },
      metadata: metadataOf(params),
      created: now(),
    };
    accounts.set(account.id, account);
    state.accountsCreated++;
    return { status: 200, body: account };
  }

  function createAccountLink(params: URLSearchParams): Reply {
    const accountId = params.get('account') ?? '';
    if (!accounts.has(accountId)) return invalid(`No such account: '${accountId}'`, 404);
    if (params.get('type') !== 'account_onboarding') return invalid('Unsupported type');
    if (!params.get('refresh_url') || !params.get('return_url')) {
      return invalid('refresh_url and return_url are required');
    }
    state.accountLinks++;
    const linkId = randomBytes(8).toString('hex');
    links.push({
      id: linkId,
      account: accountId,
      refreshUrl: params.get('refresh_url')!,
      returnUrl: params.get('return_url')!,
    });
    return {
      status: 200,
      body: {
        object: 'account_link',
        created: now(),
        expires_at: now() + 300,
        // Stripe's hosted onboarding; here a page that finishes it at once (see below).
        url: `${baseUrl}/connect/onboarding/${linkId}`,
      },
    };
  }

  /** As Stripe: only to an account whose transfers capability is active. */
  function createTransfer(params: URLSearchParams): Reply {
    const destination = params.get('destination') ?? '';
    const account = accounts.get(destination);
    if (!account) return invalid(`No such destination: '${destination}'`);
    if (account.capabilities.transfers !== 'active') {
      return invalid(
        'Your destination account needs to have at least one of the following capabilities enabled: transfers',
      );
    }
    const transfer = {
      id: id('tr'),
      object: 'transfer',
      amount: Number(params.get('amount')),
      currency: params.get('currency'),
      destination,
      transfer_group: params.get('transfer_group'),
      metadata: metadataOf(params),
      created: now(),
      reversed: false,
    };
    transfers.set(transfer.id, transfer);
    state.transfers++;
    return { status: 200, body: transfer };
  }

  /** What Stripe does when the seller finishes onboarding; the account, for a webhook. */
  function completeOnboarding(accountId: string): Account {
    const account = accounts.get(accountId);
    if (!account) throw new Error(`No such stand-in account: ${accountId}`);
    account.details_submitted = true;
    account.payouts_enabled = true;
    account.charges_enabled = true;
    account.capabilities.transfers = 'active';
    return structuredClone(account);
  }

  /** The open dispute of `intentId`'s charge, or a test's mistake. */
  function openDisputeOf(intentId: string): StandInDispute {
    const dispute = disputes.get(intentId);
    if (!dispute || !/needs_response|under_review/.test(dispute.status)) {
      throw new Error(`No open stand-in dispute of ${intentId}`);
    }
    return dispute;
  }

  /** The cardholder disputes the charge of a succeeded PaymentIntent (see newDispute). */
  function openDispute(
    intentId: string,
    options: { amount?: number; reason?: string; inquiry?: boolean } = {},
  ): StandInDispute {
    const intent = current(intentId);
    if (intent?.status !== 'succeeded') throw new Error(`Cannot dispute ${intentId}: not charged`);
    if (disputes.has(intentId)) throw new Error(`${intentId} is disputed already`);
    const dispute = newDispute(intent, options, now());
    disputes.set(intentId, dispute);
    return structuredClone(dispute);
  }

  /**
   * The dispute closes in the platform's favour: `won` with the money reinstated (an
   * inquiry: `warning_closed`, nothing was withdrawn); the charge can be refunded again.
   */
  function winDispute(intentId: string): StandInDispute {
    const dispute = openDisputeOf(intentId);
    const inquiry = dispute.status.startsWith('warning_');
    dispute.status = inquiry ? 'warning_closed' : 'won';
    dispute.is_charge_refundable = true;
    if (!inquiry) dispute.balance_transactions.push(disputeFunds(dispute, false, now()));
    return structuredClone(dispute);
  }

  /** The dispute closes in the cardholder's favour: `lost`, the money stays withdrawn. */
  function loseDispute(intentId: string): StandInDispute {
    const dispute = openDisputeOf(intentId);
    if (dispute.balance_transactions.length === 0) {
      dispute.balance_transactions.push(disputeFunds(dispute, true, now()));
    }
    dispute.status = 'lost';
    dispute.is_charge_refundable = false;
    return structuredClone(dispute);
  }

  /** `metadata['key']:'value'`, the one search query payments makes. */
  function search(query: string): Reply {
    const match = /^metadata\['(.+)'\]:'(.+)'$/.exec(query);
    if (!match) return invalid(`Unsupported query: ${query}`);
    const [, key, value] = match;
    const data = [...intents.values()]
      .filter((intent) => intent.metadata[key!] === value)
      .map((intent) => shown(current(intent.id)!));
    return {
      status: 200,
      body: {
        object: 'search_result',
        data,
        has_more: false,
        next_page: null,
        url: '/v1/payment_intents/search',
      },
    };
  }

  function route(method: string, path: string, params: URLSearchParams, query: URLSearchParams) {
    if (method === 'POST' && path === '/v1/payment_intents') {
      const reply = createPaymentIntent(params, now());
      if (reply.status !== 400) state.paymentIntentsCreated++;
      if (reply.intent) intents.set(reply.intent.id, reply.intent);
      return { status: reply.status, body: reply.intent ? shown(reply.intent) : reply.body };
    }
    const action = /^\/v1\/payment_intents\/([^/]+)\/(capture|cancel)$/.exec(path);
    if (method === 'POST' && action) {
      return action[2] === 'capture' ? capture(action[1]!) : cancel(action[1]!);
    }
    if (method === 'GET' && path === '/v1/payment_intents/search') {
      return search(query.get('query') ?? '');
    }
    const intentPath = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === 'GET' && intentPath) {
      const intent = current(intentPath[1]!);
      if (!intent) return invalid(`No such payment_intent: '${intentPath[1]}'`, 404);
      const expand = [...query].filter(([key]) => key.startsWith('expand')).map(([, v]) => v);
      return { status: 200, body: shown(intent, expand) };
    }
    if (method === 'POST' && path === '/v1/refunds') return refund(params);
    if (method === 'POST' && path === '/v1/accounts') return createAccount(params);
    const accountPath = /^\/v1\/accounts\/([^/]+)$/.exec(path);
    if (method === 'GET' && accountPath) {
      const account = accounts.get(accountPath[1]!);
      return account
        ? { status: 200, body: account }
        : invalid(`No such account: '${accountPath[1]}'`, 404);
    }
    if (method === 'POST' && path === '/v1/account_links') return createAccountLink(params);
    if (method === 'POST' && path === '/v1/transfers') return createTransfer(params);
    if (method === 'GET' && path === '/v1/transfers') {
      const group = query.get('transfer_group');
      const data = [...transfers.values()].filter(
        (transfer) => group === null || transfer.transfer_group === group,
      );
      return {
        status: 200,
        body: { object: 'list', data: data.reverse(), has_more: false, url: '/v1/transfers' },
      };
    }
    return invalid('Unrecognized request URL', 404);
  }

  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const params = new URLSearchParams(body);
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const method = request.method ?? 'GET';
      requests.push({
        method,
        path: url.pathname,
        headers: request.headers,
        params,
        query: url.searchParams,
      });
      if (state.mode === 'hangup') return request.socket.destroy();
      const onboarding = /^\/connect\/onboarding\/([0-9a-f]+)$/.exec(url.pathname);
      if (method === 'GET' && onboarding) {
        // The seller's browser at Stripe's onboarding: done at once, and sent back.
        const link = links.find((l) => l.id === onboarding[1]);
        if (!link) return send(response, invalid('This link has expired', 404));
        completeOnboarding(link.account);
        response.writeHead(302, { location: link.returnUrl });
        return response.end();
      }
      if (request.headers.authorization !== `Bearer ${STAND_IN_SECRET_KEY}`) {
        return send(response, invalid('Invalid API Key provided', 401));
      }
      if (state.mode === 'error') {
        const error = { type: 'api_error', message: 'An unknown error occurred' };
        return send(response, { status: 500, body: { error } });
      }
      const answer = (reply: Reply, replayed = false) => {
        if (state.delayMs > 0) setTimeout(() => send(response, reply, replayed), state.delayMs);
        else send(response, reply, replayed);
      };
      if (method !== 'POST') return answer(route(method, url.pathname, params, url.searchParams));
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string') return send(response, invalid('Idempotency-Key expected here'));
      const sent = fingerprint(method, url.pathname, params);
      const kept = replies.get(key);
      // Stripe forgets a key after 24 hours: a repeat then is a new request.
      const replay = kept && nowMs() - kept.at <= state.keyRetentionMs ? kept : undefined;
      if (replay && replay.fingerprint !== sent) return answer(idempotencyMismatch(key));
      if (replay) return answer(replay.reply, true);
      const reply = route(method, url.pathname, params, url.searchParams);
      // Stripe keeps no result for a request that failed validation.
      if (reply.status !== 400) replies.set(key, { reply, fingerprint: sent, at: nowMs() });
      answer(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    state,
    requests,
    intents,
    accounts,
    transfers,
    links,
    completeOnboarding,
    disputeRefusals,
    /**
     * The disputes, by PaymentIntent. `openDispute`, `winDispute` and `loseDispute` return
     * the Dispute as Stripe's `charge.dispute.created` / `.closed` events carry it; a
     * chargeback's refunds are refused (`charge_disputed`) until it is won.
     */
    disputes,
    openDispute,
    winDispute,
    loseDispute,
    /** Makes the balance transaction a capture under `state.fundsLate` did not make. */
    settleFunds(intentId: string) {
      const intent = intents.get(intentId);
      if (intent?.status === 'succeeded' && !intent.balance_transaction) {
        intent.balance_transaction = chargeFunds(intent, now());
      }
    },
    /** Moves the stand-in's clock: keys older than `keyRetentionMs` are forgotten, holds older than `holdLifetimeMs` canceled. */
    advanceClock(ms: number) {
      clockOffsetMs += ms;
    },
    paymentIntentRequests: () => requests.filter((r) => r.path === '/v1/payment_intents'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
