export * from './bus.js';
export * from './consumer.js';
export * from './contracts.js';
export * from './inbox.js';
export * from './outbox.js';
export * from './permissions.js';
export * from './subscription.js';
export * from './tables.js';
