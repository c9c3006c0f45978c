import { randomUUID } from 'node:crypto';
import type { EventInput } from '@gittix/common';
import { orderCancelledData, orderCreatedData } from '@gittix/common/testing';
import type { Ticket } from '../src/tickets.js';

export const MINUTE = 60_000;

/** order.created for `ticket`, as the orders service would publish it. */
export function orderCreated(
  ticket: Ticket,
  overrides: { id?: string; expiresAt?: Date } = {},
): EventInput<'order.created'> {
  return orderCreatedData({
    ...(overrides.id ? { id: overrides.id } : {}),
    ...(overrides.expiresAt ? { expiresAt: overrides.expiresAt.toISOString() } : {}),
    ticket: { id: ticket.id, price: ticket.price },
  });
}

export function orderCancelled(ticketId: string, orderId: string): EventInput<'order.cancelled'> {
  return orderCancelledData({ id: orderId, ticket: { id: ticketId } });
}

/** order.completed for `ticket`'s order, as the orders service publishes it once paid. */
export function orderCompleted(ticket: Ticket, orderId: string): EventInput<'order.completed'> {
  return {
    id: orderId,
    version: 1,
    userId: randomUUID(),
    paymentId: randomUUID(),
    ticket: { id: ticket.id, price: ticket.price, userId: ticket.userId, title: ticket.title },
  };
}
