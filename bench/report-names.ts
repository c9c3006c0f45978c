/**
 * The names rows of bench/REPORT.md's tables and the series of its charts share:
 * each chart's legend names a table row, so a test can hold the two to each other.
 */
export const READ_TARGET_NAMES = {
  reference: 'reference: node:http + pg',
  referenceProxy: 'reference proxy → reference',
  tickets: 'tickets service',
  gateway: 'gateway → tickets',
} as const;

export const SALE_SIDE_NAMES = {
  gateway: 'through the gateway',
  reference: 'the order transaction on Postgres',
} as const;

/** The flash-sale table's rows over every round. */
export const ALL_ROUNDS = 'all';

export const PROPAGATION_NAMES = {
  duringSale: 'all, during the sale',
  idle: 'all, idle',
} as const;

export const EXPIRY_NAMES = {
  reference: 'bare BullMQ job fired (reference, both runs)',
  referenceAtEarlier: 'bare BullMQ job fired at concurrency 50 (both runs)',
  fired: '`expiration.complete` created by the worker',
  stored: '`expiration.complete` stored by JetStream',
  cancelled: 'order cancelled in orders (`order.cancelled` written)',
} as const;
