import { subscribe, subscribeBatch } from '@gittix/common';
import { onExpirationComplete } from './expiration-complete.js';
import { onPaymentCreated } from './payment-created.js';
import { onTicketCreated } from './ticket-created.js';
import { onTicketRefused } from './ticket-refused.js';
import { onTicketUpdated } from './ticket-updated.js';

/** Everything the orders service consumes, one durable consumer per subject. */
export const ordersSubscriptions = [
  subscribeBatch('ticket.created', onTicketCreated),
  subscribeBatch('ticket.updated', onTicketUpdated),
  subscribe('ticket.refused', onTicketRefused),
  subscribeBatch('expiration.complete', onExpirationComplete),
  subscribe('payment.created', onPaymentCreated),
];
