import { BadRequestError } from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import Stripe from 'stripe';
import { z } from 'zod';
import type { PaymentsDatabase } from '../db/schema.js';
import {
  applyDisputeNews,
  type DisputeFunds,
  type DisputeNews,
  type DisputeStage,
  recordDisputeFees,
} from '../disputes.js';
import { paymentOutcomes } from '../metrics.js';
import { applyPartialRefund } from '../partial-reversals.js';
import { recordAccountState } from '../payout-accounts.js';
import { applyProviderNews, type ProviderNews, refundIdAt } from '../provider-events.js';
import type { PaymentProvider } from '../providers/index.js';
import { accountState, statusOf } from '../providers/stripe.js';
import { errorBody } from './errors.js';

export interface WebhooksRoutesOptions {
  db: Kysely<PaymentsDatabase>;
  /** `whsec_…` of the account endpoint; with neither secret every call is refused. */
  stripeWebhookSecret: string | undefined;
  /** `whsec_…` of the Connect endpoint (events on connected accounts: `account.updated`). */
  stripeConnectWebhookSecret: string | undefined;
  /** Live keys take live events only; test ones test events (a Connect URL gets both). */
  livemode: boolean;
  feePercent: number;
  /** Asked for the refund id a charge.refunded does not name. */
  provider: PaymentProvider;
  providerTimeoutMs: number;
}

/** The id of the PaymentIntent a charge or dispute belongs to (Stripe sends an id or, expanded, the object). */
function intentIdOf(intent: string | Stripe.PaymentIntent | null | undefined): string | undefined {
  return typeof intent === 'string' ? intent : intent?.id;
}

/** What a Stripe event says about one of our payments, or null when it says nothing. */
function newsOf(event: Stripe.Event): ProviderNews | null {
  const object = event.data.object as { object?: string };
  if (object.object === 'payment_intent') {
    const intent = object as Stripe.PaymentIntent;
    const status = statusOf(intent);
    if (!status) return null;
    return { paymentId: intent.metadata?.paymentId, providerId: intent.id, status };
  }
  if (object.object === 'charge' && event.type === 'charge.refunded') {
    const charge = object as Stripe.Charge;
    const providerId = intentIdOf(charge.payment_intent);
    if (!providerId) return null;
    // Refunded in part (in Stripe's dashboard): not this news, see partialRefundOf.
    if (!charge.refunded) return null;
    return {
      paymentId: charge.metadata?.paymentId,
      providerId,
      status: 'refunded',
      // Listed only for endpoints on an API version before 2022-11-15; otherwise
      // applyProviderNews asks Stripe for it.
      refundId: charge.refunds?.data[0]?.id,
    };
  }
  return null;
}

/**
 * Where a dispute event leaves the dispute, or null for a close this code does not know.
 * `charge.dispute.closed` says `won`, `lost` or `warning_closed` (an inquiry that never
 * became a chargeback: the money never left); funds withdrawn or reinstated and updates
 * decide nothing (a won dispute's reinstatement comes with its close).
 */
function disputeStageOf(type: string, status: Stripe.Dispute.Status): DisputeStage | null {
  if (type === 'charge.dispute.created') return 'opened';
  if (type !== 'charge.dispute.closed') return 'moved';
  if (status === 'won' || status === 'warning_closed') return 'won';
  if (status === 'lost') return 'lost';
  return null;
}

/** What a Stripe `charge.dispute.*` event of `type` says about one of our payments, or null. */
function disputeNewsOf(
  type: string,
  dispute: Stripe.Dispute,
  log: FastifyBaseLogger,
): DisputeNews | null {
  // The dispute's own metadata is not the payment's: it is found by its PaymentIntent.
  const providerId = intentIdOf(dispute.payment_intent);
  if (!providerId) {
    log.warn({ disputeId: dispute.id }, 'dispute of a charge with no PaymentIntent: not ours');
    return null;
  }
  const stage = disputeStageOf(type, dispute.status);
  if (!stage) {
    // `prevented`, or one Stripe adds later: whose money it is, this code cannot tell.
    log.error(
      { disputeId: dispute.id, providerId, status: dispute.status },
      'dispute closed with a status payments does not know: settle it by hand',
    );
    return null;
  }
  return {
    disputeId: dispute.id,
    providerId,
    stage,
    amountCents: dispute.amount,
    detail: { status: dispute.status, currency: dispute.currency, reason: dispute.reason },
  };
}

/** A charge.refunded for a charge refunded in part: its PaymentIntent and the running total. */
function partialRefundOf(
  event: Stripe.Event,
): { providerId: string; refundedCents: number } | null {
  const object = event.data.object as { object?: string };
  if (object.object !== 'charge' || event.type !== 'charge.refunded') return null;
  const charge = object as Stripe.Charge;
  const providerId = intentIdOf(charge.payment_intent);
  if (!providerId || charge.refunded || charge.amount_refunded <= 0) return null;
  return { providerId, refundedCents: charge.amount_refunded };
}

/**
 * The fees Stripe lists with a dispute (each balance transaction's `fee`: the dispute fee
 * withdrawn with the funds, or given back), or null when there is no PaymentIntent or a
 * transaction is not in usd, the ledger's currency (logged: settle it by hand).
 */
function disputeFundsOf(dispute: Stripe.Dispute, log: FastifyBaseLogger): DisputeFunds | null {
  const providerId = intentIdOf(dispute.payment_intent);
  const transactions = dispute.balance_transactions ?? [];
  if (!providerId || transactions.length === 0) return null;
  const foreign = transactions.find((funds) => funds.currency !== 'usd');
  if (foreign) {
    log.error(
      { disputeId: dispute.id, currency: foreign.currency },
      'dispute fee in a currency the ledger does not keep: post it by hand',
    );
    return null;
  }
  return {
    providerId,
    disputeId: dispute.id,
    feeCents: transactions.reduce((sum, funds) => sum + funds.fee, 0),
    transactions: transactions.length,
  };
}

/** `POST /api/payments/webhooks/stripe`: Stripe's news, signature-checked, settled idempotently. */
export const webhooksRoutes: FastifyPluginAsyncZod<WebhooksRoutesOptions> = async (
  app,
  options,
) => {
  // The same URL may be both the account endpoint and the Connect one, each signing
  // with its own secret: a delivery is genuine when either verifies it.
  const secrets = [options.stripeWebhookSecret, options.stripeConnectWebhookSecret].filter(
    (secret): secret is string => Boolean(secret),
  );
  const findRefundId = refundIdAt(options.provider, options.providerTimeoutMs);
  function verified(payload: string, signature: string): Stripe.Event | null {
    for (const secret of secrets) {
      try {
        return Stripe.webhooks.constructEvent(payload, signature, secret);
      } catch {
        // Not this secret's signature: try the next.
      }
    }
    return null;
  }

  // The signature covers the exact bytes Stripe sent: keep them.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/stripe',
    {
      schema: {
        summary:
          "Stripe's webhook: payment intents authorized, captured, canceled, refunded; charges disputed, disputes won or lost; Connect accounts updated",
        response: { 200: z.object({ received: z.boolean() }), 400: errorBody },
      },
    },
    async (request) => {
      const signature = request.headers['stripe-signature'];
      if (secrets.length === 0 || typeof signature !== 'string' || !signature) {
        throw new BadRequestError('Missing or invalid stripe-signature');
      }
      const event = verified(typeof request.body === 'string' ? request.body : '', signature);
      if (!event) throw new BadRequestError('Missing or invalid stripe-signature');
      const log = request.log.child({ stripeEventId: event.id, stripeEventType: event.type });
      if (event.livemode !== options.livemode) {
        log.info({ livemode: event.livemode }, 'Stripe event of the other mode ignored');
        return { received: true };
      }
      const object = event.data.object as { object?: string };
      if (event.type === 'account.updated' && object.object === 'account') {
        const state = accountState(object as Stripe.Account);
        const known = await recordAccountState(options.db, state, new Date(event.created * 1000));
        if (!known) log.warn({ accountId: state.accountId }, 'Stripe event for no known account');
        else log.info(state, 'payout account updated');
        return { received: true };
      }
      if (object.object === 'dispute') {
        const funds = disputeFundsOf(object as Stripe.Dispute, log);
        if (funds) await recordDisputeFees(options.db, funds, log);
        const dispute = disputeNewsOf(event.type, object as Stripe.Dispute, log);
        if (!dispute) return { received: true };
        const known = await applyDisputeNews(options.db, dispute, {
          logger: log,
          outcomes: paymentOutcomes(app.metrics),
        });
        if (!known) {
          log.warn({ providerId: dispute.providerId }, 'Stripe dispute of no known payment');
        }
        return { received: true };
      }
      const part = partialRefundOf(event);
      if (part) {
        if (!(await applyPartialRefund(options.db, part, log, paymentOutcomes(app.metrics)))) {
          log.warn({ providerId: part.providerId }, 'Stripe event for no known payment');
        }
        return { received: true };
      }
      const news = newsOf(event);
      if (!news) return { received: true };
      // A refund id Stripe cannot give now throws: 5xx, nothing recorded, and Stripe
      // delivers the event again (for up to 3 days) rather than a wrong id being stored.
      const known = await applyProviderNews(options.db, news, {
        feePercent: options.feePercent,
        logger: log,
        outcomes: paymentOutcomes(app.metrics),
        findRefundId,
      });
      if (!known) log.warn({ providerId: news.providerId }, 'Stripe event for no known payment');
      return { received: true };
    },
  );
};
