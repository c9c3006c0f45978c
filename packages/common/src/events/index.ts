export * from './bus.js';
export * from './consumer.js';
export * from './contracts.js';
export * from './outbox.js';
export * from './tables.js';
