import { randomUUID } from 'node:crypto';
import {
  type EventData,
  type EventEnvelope,
  type EventInput,
  parseEnvelope,
  type Subject,
  subjects,
} from '@gittix/common';
import fc from 'fast-check';
import {
  hostileJson,
  hostileString,
  JsonObject,
  type JsonTree,
  toJsonText,
} from './hostile-json.js';

/** The entities events may name: the fixtures' real ones, or ids nobody has heard of. */
export interface EventIds {
  tickets: string[];
  orders: string[];
  users: string[];
}

const HOUR = 3_600_000;
const price = fc.integer({ min: 1, max: 100_000_000 }).map((cents) => cents / 100);
/** 2^31 and beyond fit no Postgres integer column: the contract refuses them (finding #10). */
const version = fc.oneof(
  { weight: 8, arbitrary: fc.nat(5) },
  { weight: 2, arbitrary: fc.nat() },
  fc.constantFrom(2 ** 31, Number.MAX_SAFE_INTEGER),
);
const title = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 60 }) },
  hostileString.filter((t) => t.length > 0),
);
const email = fc
  .string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcdefgh0123456789') })
  .map((local) => `${local}@example.com`);
const token = fc.string({ minLength: 16, maxLength: 64 });
/** Far from now either way: a job due in a few seconds would fire in the middle of a check. */
const expiresAt = fc
  .oneof(fc.integer({ min: 2 * HOUR, max: 48 * HOUR }), fc.integer({ min: -48 * HOUR, max: -HOUR }))
  .map((offset) => new Date(Date.now() + offset).toISOString());

/** A valid event of each subject, about known or unknown entities. */
export function validEvents(
  ids: EventIds,
  on: readonly Subject[] = subjects,
): fc.Arbitrary<EventEnvelope> {
  const pick = (known: string[]) => fc.oneof(fc.constantFrom(...known), fc.uuid({ version: 4 }));
  const ticket = pick(ids.tickets);
  const order = pick(ids.orders);
  const user = pick(ids.users);
  const data: { [S in Subject]: fc.Arbitrary<EventInput<S>> } = {
    'ticket.created': fc.record({ id: ticket, version, title, price, userId: user }),
    'ticket.updated': fc.record({
      id: ticket,
      version,
      title,
      price,
      userId: user,
      orderId: fc.option(order, { nil: null }),
    }),
    'order.created': fc.record({
      id: order,
      version,
      status: fc.constantFrom('created', 'cancelled', 'awaiting:payment', 'complete'),
      userId: user,
      expiresAt,
      ticket: fc.record({ id: ticket, price }),
    }),
    'order.cancelled': fc.record({ id: order, version, ticket: fc.record({ id: ticket }) }),
    'expiration.complete': fc.record({ orderId: order }),
    'payment.created': fc.record({
      id: fc.uuid({ version: 4 }),
      orderId: order,
      providerId: fc.string({ minLength: 1, maxLength: 40 }),
    }),
    'ticket.refused': fc.record({
      ticketId: ticket,
      orderId: order,
      reason: fc.constantFrom('withdrawn', 'sold', 'changed', 'event_started'),
    }),
    'ticket.file_attached': fc.record({ ticketId: ticket, userId: user, replaced: fc.boolean() }),
    'order.completed': fc.record({
      id: order,
      version,
      userId: user,
      paymentId: fc.uuid({ version: 4 }),
      ticket: fc.record({ id: ticket, price, userId: user, title }),
    }),
    'payment.captured': fc.record({
      id: fc.uuid({ version: 4 }),
      orderId: order,
      userId: user,
      sellerId: user,
      amount: price,
      fee: price,
      ticketId: fc.option(ticket, { nil: null }),
    }),
    'payment.voided': fc.record({ id: fc.uuid({ version: 4 }), orderId: order, userId: user }),
    'payment.refunded': fc.record({
      id: fc.uuid({ version: 4 }),
      orderId: order,
      userId: user,
      amount: price,
      ticketId: fc.option(ticket, { nil: null }),
    }),
    'payment.partly_refunded': fc.record({
      id: fc.uuid({ version: 4 }),
      orderId: order,
      userId: user,
      sellerId: fc.option(user, { nil: null }),
      ticketId: fc.option(ticket, { nil: null }),
      amount: price,
      refunded: price,
      sellerAmount: fc.option(price, { nil: null }),
      by: fc.constantFrom('refund' as const, 'chargeback' as const),
    }),
    'payout.paid': fc.record({ id: fc.uuid({ version: 4 }), userId: user, amount: price }),
    'user.created': fc.record({ id: user, version, email, emailVerified: fc.boolean() }),
    'user.updated': fc.record({ id: user, version, email, emailVerified: fc.boolean() }),
    'user.verification_requested': fc.record({ userId: user, email, sealedToken: token }),
    'user.password_reset_requested': fc.record({ userId: user, email, sealedToken: token }),
    'session.revoked': fc.record({
      userId: user,
      sessionId: fc.option(fc.uuid({ version: 4 }), { nil: null }),
      issuedBefore: fc.option(expiresAt, { nil: null }),
      exceptSessionId: fc.option(fc.uuid({ version: 4 }), { nil: null }),
      expiresAt,
    }),
  };
  return fc.oneof(
    ...on.map((subject) =>
      (data[subject] as fc.Arbitrary<EventInput<Subject>>).map(
        (d): EventEnvelope => envelope(subject, d),
      ),
    ),
  );
}

export function envelope<S extends Subject>(subject: S, data: EventInput<S>): EventEnvelope<S> {
  // On the wire a payload is what its publisher wrote; consumers fill in the defaults.
  const wire = data as EventData<S>;
  return { id: randomUUID(), type: subject, occurredAt: new Date().toISOString(), data: wire };
}

/** What a consumer receives on one subject. */
export interface RawEvent {
  subject: Subject;
  label: string;
  payload: Buffer;
}

/** Whether a consumer would accept these bytes on this subject (what it parses, the same way). */
export function acceptable(event: RawEvent): boolean {
  try {
    parseEnvelope(event.subject, JSON.parse(new TextDecoder().decode(event.payload)));
    return true;
  } catch {
    return false;
  }
}

const asTree = (value: unknown): JsonTree =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? new JsonObject(Object.entries(value).map(([k, v]) => [k, asTree(v)]))
    : Array.isArray(value)
      ? value.map(asTree)
      : (value as JsonTree);

/** Replaces (or removes, with `undefined`) one key of an object tree, at a dotted path. */
function edit(tree: JsonTree, path: string[], value: JsonTree | undefined): JsonTree {
  if (!(tree instanceof JsonObject) || path.length === 0) return tree;
  const [head, ...rest] = path;
  const entries = tree.entries.flatMap(([k, v]): Array<[string, JsonTree]> => {
    if (k !== head) return [[k, v]];
    if (rest.length > 0) return [[k, edit(v, rest, value)]];
    return value === undefined ? [] : [[k, value]];
  });
  return new JsonObject(entries);
}

function keyPaths(tree: JsonTree, prefix: string[] = []): string[][] {
  if (!(tree instanceof JsonObject)) return [];
  return tree.entries.flatMap(([k, v]) => [[...prefix, k], ...keyPaths(v, [...prefix, k])]);
}

/**
 * Messages no consumer may accept on their subject: not JSON, not an envelope,
 * an envelope of another subject, a field missing or of the wrong type, a
 * prototype-pollution key instead of data, huge padding around a broken event.
 */
export function malformedEvents(
  valid: fc.Arbitrary<EventEnvelope>,
  subjectsConsumed: readonly Subject[] = subjects,
): fc.Arbitrary<RawEvent> {
  const on = fc.constantFrom(...subjectsConsumed);
  const text = (subject: Subject, label: string, body: string | Buffer): RawEvent => ({
    subject,
    label,
    payload: Buffer.isBuffer(body) ? body : Buffer.from(body),
  });
  const notJson = fc
    .tuple(on, hostileString, fc.constantFrom('<', '{', '{"id":', '\u0000', ''))
    .map(([subject, s, lead]) => text(subject, 'not JSON', `${lead}${s}`));
  const notEnvelope = fc
    .tuple(on, hostileJson)
    .map(([subject, v]) => text(subject, 'any JSON', toJsonText(v)));
  const otherSubject = fc
    .tuple(valid, on)
    .filter(([e, subject]) => e.type !== subject)
    .map(([e, subject]) => text(subject, `a ${e.type} on ${subject}`, JSON.stringify(e)));
  const mutated = valid.chain((e) => {
    const tree = asTree(e);
    return fc
      .tuple(fc.constantFrom(...keyPaths(tree)), fc.option(hostileJson, { nil: undefined }))
      .map(([path, value]) =>
        text(
          e.type,
          `${e.type} with ${path.join('.')} ${value === undefined ? 'missing' : 'replaced'}`,
          toJsonText(edit(tree, path, value)),
        ),
      );
  });
  const polluted = valid.map((e) =>
    text(
      e.type,
      'data replaced by __proto__',
      toJsonText(edit(asTree(e), ['data'], new JsonObject([['__proto__', asTree(e.data)]]))),
    ),
  );
  const huge = fc
    .tuple(valid, fc.integer({ min: 100_000, max: 900_000 }))
    .map(([e, size]) =>
      text(
        e.type,
        `${size} bytes, no data`,
        JSON.stringify({ ...e, data: undefined, padding: 'x'.repeat(size) }),
      ),
    );
  const empty = on.map((subject) => text(subject, 'empty', ''));
  return fc
    .oneof(
      notJson,
      notEnvelope,
      otherSubject,
      { weight: 3, arbitrary: mutated },
      polluted,
      huge,
      empty,
    )
    .filter((event) => !acceptable(event));
}
