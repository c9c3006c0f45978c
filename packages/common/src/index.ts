/// <reference types="@fastify/cookie" preserve="true" />
// Services use reply.setCookie / request.cookies: the augmentation must reach them through our types.
export * from './config.js';
export * from './db.js';
export * from './errors.js';
export * from './events/index.js';
export * from './http/access-log.js';
export * from './http/admission.js';
export * from './http/auth.js';
export * from './http/close-gracefully.js';
export * from './http/error-handler.js';
export * from './http/framework-errors.js';
export * from './http/health.js';
export * from './http/lingering-close.js';
export * from './http/metrics.js';
export * from './http/request-id.js';
export * from './http/revoked-sessions.js';
export * from './http/service-app.js';
export * from './http/ticket-files.js';
export * from './http/timeouts.js';
export * from './http/tracing.js';
export * from './logger.js';
export * from './metrics/index.js';
export * from './money.js';
export * from './redis.js';
export * from './service/index.js';
export * from './tracing/tracing.js';
export * from './transient.js';
