export * from './description.js';
export * from './open-service.js';
export * from './periodic-task.js';
export * from './run-service.js';
export * from './stop-in-order.js';
