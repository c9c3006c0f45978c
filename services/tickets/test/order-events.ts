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
