import { z } from 'zod';
import { priceSchema } from '../money.js';

const id = z.uuid();
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

/** Each subject's payload (`data`), as docs/api.md's events table lists them. */
export const eventSchemas = {
  'ticket.created': z.object({ id, version, title, price, userId: id }),
  'ticket.updated': z.object({
    id,
    version,
    title,
    price,
    userId: id,
    orderId: id.nullable(),
  }),
  'order.created': z.object({
    id,
    version,
    status: z.enum(orderStatuses),
    userId: id,
    expiresAt: z.iso.datetime({ offset: true }),
    ticket: z.object({ id, price }),
  }),
  'order.cancelled': z.object({ id, version, ticket: z.object({ id }) }),
  'expiration.complete': z.object({ orderId: id }),
  'payment.created': z.object({ id, orderId: id, providerId: z.string().min(1) }),
} as const;

export type Subject = keyof typeof eventSchemas;
export const subjects = Object.keys(eventSchemas) as Subject[];
export type EventData<S extends Subject> = z.output<(typeof eventSchemas)[S]>;

/** What travels on the wire: `id` is also the `Nats-Msg-Id` header. */
export interface EventEnvelope<S extends Subject = Subject> {
  id: string;
  type: S;
  occurredAt: string;
  data: EventData<S>;
}

const envelopeSchema = z.object({
  id,
  type: z.enum(subjects as [Subject, ...Subject[]]),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.unknown(),
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
  return { id: envelope.id, type: subject, occurredAt: envelope.occurredAt, data };
}

/** Builds a new envelope, validating the payload so that no service publishes junk. */
export function createEnvelope<S extends Subject>(
  subject: S,
  data: EventData<S>,
  eventId: string,
  occurredAt = new Date(),
): EventEnvelope<S> {
  const parsed = eventSchemas[subject].parse(data) as EventData<S>;
  return { id: eventId, type: subject, occurredAt: occurredAt.toISOString(), data: parsed };
}
