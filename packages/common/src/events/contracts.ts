import { z } from 'zod';
import { priceSchema } from '../money.js';
import { currentCausation } from '../tracing/tracing.js';

// Lower case, as Postgres returns a uuid: an id written in upper case (an operator's
// `npm run events -- publish`) is the same row to Postgres, and every handler that
// compares ids as strings (is this order the ticket's holder? a Map keyed by id) or
// keys a job or an inbox row by them sees the one spelling.
const id = z.uuid().toLowerCase();
// Replica columns are Postgres integers, and Postgres text cannot hold U+0000:
// an event outside either is malformed, refused on first delivery.
const version = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const title = z
  .string()
  .min(1)
  .refine((value) => !value.includes('\u0000'), { message: 'Must not contain NUL' });
const price = priceSchema;

// No order is ever `awaiting:payment` today (a payment completes a `created` order
// directly); the status stays because the public contract (docs/api.md) lists it.
export const orderStatuses = ['created', 'cancelled', 'awaiting:payment', 'complete'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const ticketStatuses = ['available', 'reserved', 'sold', 'withdrawn'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];

/** Why an order was cancelled: by its buyer, because its hold ran out, or refused by tickets. */
export const cancelReasons = ['cancelled', 'expired', 'refused'] as const;

/** Why the tickets service could not reserve a ticket for an order. */
export const refusalReasons = ['withdrawn', 'sold', 'changed', 'event_started'] as const;

const isoTime = z.iso.datetime({ offset: true });
const email = z.email();
/** A non-negative amount in dollars (a fee may round to 0). */
const amount = z.number().min(0).max(1_000_000).multipleOf(0.01);
/** A payout carries every sale since the last: no per-sale cap, cents exact (< 2^53). */
const payoutAmount = z
  .number()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER / 100)
  .multipleOf(0.01);
/**
 * Fields added after the first release are optional or defaulted: events already
 * in the stream lack them. `eventId`/`eventStartsAt` null: listed without an event.
 */
const eventLink = {
  eventId: id.nullable().default(null),
  eventStartsAt: isoTime.nullable().default(null),
};

/**
 * An emailed link: its token sealed for notifications (`sealedToken`, see
 * sealed-token.ts). The stream never carries it in clear: an event with only a
 * `token`, as auth released before sealing wrote it, is refused (dead-lettered).
 */
const emailedLink = {
  userId: id,
  email,
  sealedToken: z.string().min(16),
};

/**
 * Each subject's payload (`data`), as docs/api.md's events table lists them;
 * docs/events.md says who publishes and who consumes each.
 */
export const eventSchemas = {
  'ticket.created': z.object({
    id,
    version,
    title,
    price,
    userId: id,
    status: z.enum(ticketStatuses).default('available'),
    ...eventLink,
  }),
  // `status` absent (older events): `reserved` when orderId is set, else `available`.
  'ticket.updated': z.object({
    id,
    version,
    title,
    price,
    userId: id,
    orderId: id.nullable(),
    status: z.enum(ticketStatuses).optional(),
    ...eventLink,
  }),
  'ticket.refused': z.object({
    ticketId: id,
    orderId: id,
    reason: z.enum(refusalReasons),
  }),
  /** The seller attached the ticket itself (a file), or replaced the one attached before. */
  'ticket.file_attached': z.object({
    ticketId: id,
    /** The seller. */
    userId: id,
    replaced: z.boolean(),
  }),
  'order.created': z.object({
    id,
    version,
    status: z.enum(orderStatuses),
    userId: id,
    expiresAt: isoTime,
    ticket: z.object({
      id,
      price,
      /** The ticket's version the order was priced at. */
      version: version.optional(),
      /** The seller. */
      userId: id.optional(),
      title: title.optional(),
      ...eventLink,
    }),
  }),
  'order.cancelled': z.object({
    id,
    version,
    ticket: z.object({ id }),
    /** The buyer. */
    userId: id.optional(),
    reason: z.enum(cancelReasons).optional(),
  }),
  'order.completed': z.object({
    id,
    version,
    userId: id,
    paymentId: id,
    ticket: z.object({ id, price, userId: id, title, ...eventLink }),
  }),
  'expiration.complete': z.object({ orderId: id }),
  'payment.created': z.object({ id, orderId: id, providerId: z.string().min(1) }),
  'payment.captured': z.object({
    id,
    orderId: id,
    userId: id,
    sellerId: id,
    amount,
    fee: amount,
    /** The ticket sold (null on older events): its file, once attached, is the buyer's. */
    ticketId: id.nullable().default(null),
  }),
  'payment.voided': z.object({ id, orderId: id, userId: id }),
  /**
   * The whole payment went back to the buyer (a full refund made at the provider): the
   * sale is reversed. `amount` is dollars; `ticketId` null when payments never learnt it.
   */
  'payment.refunded': z.object({
    id,
    orderId: id,
    userId: id,
    amount,
    ticketId: id.nullable(),
    /**
     * What gave the money back: a refund, or the buyer's chargeback (a dispute the
     * platform lost). Absent from publishers older than it: a refund.
     */
    by: z.enum(['refund', 'chargeback']).default('refund'),
  }),
  /**
   * Part of a captured payment went back to the buyer while the sale stands (a partial
   * refund made at the provider, or a dispute lost for part of the charge): the buyer
   * keeps the ticket. `amount` is this part and `refunded` everything given back so
   * far, in dollars; `sellerAmount` is what it cut from the seller's proceeds (null only
   * for a sale without proceeds posted). Published once per change, when its reversal is
   * posted (for a part given back before the capture was recorded, after payment.captured),
   * whatever the order and repetition of the provider's news.
   */
  'payment.partly_refunded': z.object({
    id,
    orderId: id,
    userId: id,
    sellerId: id.nullable(),
    ticketId: id.nullable(),
    amount,
    refunded: amount,
    sellerAmount: amount.nullable(),
    by: z.enum(['refund', 'chargeback']),
  }),
  'payout.paid': z.object({ id, userId: id, amount: payoutAmount }),
  'user.created': z.object({ id, version, email, emailVerified: z.boolean() }),
  'user.updated': z.object({ id, version, email, emailVerified: z.boolean() }),
  'user.verification_requested': z.object(emailedLink),
  'user.password_reset_requested': z.object(emailedLink),
  'session.revoked': z.object({
    userId: id,
    /** One session (sign-out); null with issuedBefore: every session of the user. */
    sessionId: id.nullable(),
    issuedBefore: isoTime.nullable(),
    /** The session kept when every other one ends (a password change). */
    exceptSessionId: id.nullable(),
    /** When the newest revoked token expires anyway: the revocation can be forgotten then. */
    expiresAt: isoTime,
  }),
} as const;

export type Subject = keyof typeof eventSchemas;
export const subjects = Object.keys(eventSchemas) as Subject[];
/** A payload as consumers see it: defaults of fields added later are filled in. */
export type EventData<S extends Subject> = z.output<(typeof eventSchemas)[S]>;
/** A payload as publishers write it: fields with a default may be left out. */
export type EventInput<S extends Subject> = z.input<(typeof eventSchemas)[S]>;

/** What travels on the wire: `id` is also the `Nats-Msg-Id` header. */
export interface EventEnvelope<S extends Subject = Subject> {
  id: string;
  type: S;
  occurredAt: string;
  data: EventData<S>;
  /**
   * The request id everything one request caused shares (absent on events
   * written before it existed, and on those no request caused).
   */
  correlationId?: string;
  /** The id of the event whose handler wrote this one; absent when a request did. */
  causationId?: string;
}

const envelopeSchema = z.object({
  id,
  type: z.enum(subjects as [Subject, ...Subject[]]),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.unknown(),
  // Added later: optional on consume, so older events still parse.
  correlationId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/)
    .optional(),
  causationId: id.optional(),
});

export function isSubject(value: string): value is Subject {
  return Object.hasOwn(eventSchemas, value);
}

/**
 * Validates a received message as an event of `subject`. Throws (a ZodError, or
 * an Error for a type mismatch) so that nothing malformed reaches business code.
 */
export function parseEnvelope<S extends Subject>(subject: S, raw: unknown): EventEnvelope<S> {
  const envelope = envelopeSchema.parse(raw);
  if (envelope.type !== subject) {
    throw new Error(`Envelope type ${envelope.type} arrived on subject ${subject}`);
  }
  const data = eventSchemas[subject].parse(envelope.data) as EventData<S>;
  return {
    id: envelope.id,
    type: subject,
    occurredAt: envelope.occurredAt,
    data,
    ...linksOf(envelope),
  };
}

function linksOf({ correlationId, causationId }: { correlationId?: string; causationId?: string }) {
  return {
    ...(correlationId ? { correlationId } : {}),
    ...(causationId ? { causationId } : {}),
  };
}

/** Builds a new envelope, validating the payload so that no service publishes junk. */
export function createEnvelope<S extends Subject>(
  subject: S,
  data: EventInput<S>,
  eventId: string,
  occurredAt = new Date(),
): EventEnvelope<S> {
  const parsed = eventSchemas[subject].parse(data) as EventData<S>;
  return {
    id: eventId,
    type: subject,
    occurredAt: occurredAt.toISOString(),
    data: parsed,
    // The request or event being handled when this one is written.
    ...linksOf(currentCausation()),
  };
}
