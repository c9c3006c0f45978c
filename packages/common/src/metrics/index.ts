export * from './outbox.js';
export * from './pool.js';
export * from './registry.js';
export * from './scrape-reading.js';
