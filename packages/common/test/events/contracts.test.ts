import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEnvelope, parseEnvelope } from '../../src/index.js';
import {
  orderCancelledData,
  paymentRefundedData,
  ticketCreatedData,
} from '../../src/testing/index.js';

describe('event contracts', () => {
  it('when an envelope matches its subject schema, then it parses to typed data', () => {
    const envelope = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    const parsed = parseEnvelope('ticket.created', JSON.parse(JSON.stringify(envelope)));
    expect(parsed).toEqual(envelope);
  });

  it('when ids arrive in upper case (an operator publishing by hand), then every id is parsed lower case, as Postgres returns it', () => {
    const order = { id: randomUUID(), ticket: { id: randomUUID() } };
    const envelope = createEnvelope('order.cancelled', orderCancelledData(order), randomUUID());
    const parsed = parseEnvelope('order.cancelled', {
      ...envelope,
      id: envelope.id.toUpperCase(),
      data: {
        ...envelope.data,
        id: envelope.data.id.toUpperCase(),
        userId: envelope.data.userId?.toUpperCase(),
        ticket: { id: envelope.data.ticket.id.toUpperCase() },
      },
    });
    expect(parsed.id).toBe(envelope.id);
    expect(parsed.data).toEqual(envelope.data);
  });

  it('when a payment.refunded arrives, then its ids are lower case, `by` defaults to a refund, and a missing ticketId, a negative amount or an unknown `by` is refused', () => {
    const data = paymentRefundedData();
    const envelope = createEnvelope('payment.refunded', data, randomUUID());
    const upper = {
      ...envelope.data,
      id: data.id.toUpperCase(),
      orderId: data.orderId.toUpperCase(),
      userId: data.userId.toUpperCase(),
    };
    // An older payments names no `by`: a refund.
    expect(parseEnvelope('payment.refunded', { ...envelope, data: upper }).data).toEqual({
      ...data,
      by: 'refund',
    });
    const chargeback = { ...envelope.data, by: 'chargeback' };
    expect(parseEnvelope('payment.refunded', { ...envelope, data: chargeback }).data.by).toBe(
      'chargeback',
    );
    expect(() =>
      parseEnvelope('payment.refunded', { ...envelope, data: { ...envelope.data, by: 'gift' } }),
    ).toThrow(/by/);
    const { ticketId: _ticketId, ...withoutTicket } = envelope.data;
    expect(() => parseEnvelope('payment.refunded', { ...envelope, data: withoutTicket })).toThrow(
      /ticketId/,
    );
    expect(() =>
      parseEnvelope('payment.refunded', { ...envelope, data: { ...envelope.data, amount: -1 } }),
    ).toThrow(/amount/);
  });

  it('when data breaks the schema, then parsing throws and names the problem', () => {
    const envelope = { ...createEnvelope('ticket.created', ticketCreatedData(), randomUUID()) };
    const broken = { ...envelope, data: { ...envelope.data, price: -3 } };
    expect(() => parseEnvelope('ticket.created', broken)).toThrow(/price/);
  });

  it('when an envelope of another type arrives on a subject, then it is rejected', () => {
    const envelope = createEnvelope('expiration.complete', { orderId: randomUUID() }, randomUUID());
    expect(() => parseEnvelope('order.cancelled', envelope)).toThrow(/expiration.complete/);
  });

  it('when a service builds an event with a bad payload, then createEnvelope refuses it', () => {
    expect(() =>
      createEnvelope(
        'order.cancelled',
        { id: 'nope', version: 0, ticket: { id: randomUUID() } },
        randomUUID(),
      ),
    ).toThrow();
  });

  it("when a version overflows the replicas' integer or a title holds NUL, then it is malformed", () => {
    const envelope = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    expect(() =>
      parseEnvelope('ticket.created', {
        ...envelope,
        data: { ...envelope.data, version: 2 ** 31 },
      }),
    ).toThrow(/version/);
    expect(() =>
      parseEnvelope('ticket.created', {
        ...envelope,
        data: { ...envelope.data, title: 'a\u0000' },
      }),
    ).toThrow(/NUL/);
  });

  it('when prices have more than two decimals, then they are rejected', () => {
    const envelope = createEnvelope('ticket.created', ticketCreatedData(), randomUUID());
    expect(() =>
      parseEnvelope('ticket.created', { ...envelope, data: { ...envelope.data, price: 10.001 } }),
    ).toThrow();
  });
});
