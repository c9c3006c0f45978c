import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type ErrorItem, HttpError } from '../errors.js';
import { isTransientError } from '../transient.js';
import { busyBody, DEFAULT_ADMISSION } from './admission.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

function fieldOf(issue: ValidationIssue): string | undefined {
  const path = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  return path === '' ? undefined : path;
}

/** One item per problem: a value failing two checks with the same message is told once. */
function validationItems(issues: ValidationIssue[], context: string | undefined): ErrorItem[] {
  const items = new Map<string, ErrorItem>();
  for (const issue of issues) {
    const field = fieldOf(issue);
    const message = issue.message ?? 'Invalid value';
    const item = field
      ? { message, field }
      : { message: context === 'body' ? `Request body: ${message}` : message };
    items.set(`${item.message}\u0000${field ?? ''}`, item);
  }
  return [...items.values()];
}

/** SQLSTATE class 22, "data exception": a value the database cannot store or compare. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * The service is saturated rather than broken: pg's pool found no free connection
 * within its wait (`connectionTimeoutMillis`), or Postgres cancelled a statement at
 * `statement_timeout` (57014) or a lock wait at `lock_timeout` (55P03).
 */
function isBusyError(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === '57014' || code === '55P03') return true;
  return typeof message === 'string' && message === 'timeout exceeded when trying to connect';
}

/** Errors a stream raises when it is cut off rather than broken. */
const ABORT_CODES = new Set([
  'UND_ERR_ABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * The client closed its connection, and the error is that cut reaching the request's
 * work: the gateway streams an upstream's answer into a response whose connection is
 * gone, and destroying it aborts the upstream's body (undici's RequestAbortedError).
 * A buyer who closes the tab while an order is placed is no fault of the service.
 */
function isClientGone(error: unknown, raw: { destroyed: boolean }): boolean {
  if (!raw.destroyed) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && ABORT_CODES.has(code)) || name === 'AbortError';
}

/** Fastify's own client errors (content-type, size, JSON) mapped to readable messages. */
const frameworkMessages: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type, send application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty but content-type is application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Request body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

/**
 * The one place that renders errors as `{ errors: [{ message, field? }] }`.
 * Client errors say what is wrong; anything else is logged and answered with a
 * bare 500 so internals never leak.
 */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setNotFoundHandler((_request, reply) => {
      void reply.code(404).send({ errors: [{ message: 'Not found' }] });
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof HttpError) {
        return reply.code(error.statusCode).send({ errors: error.errors });
      }
      if (error.validation) {
        // A malformed id in a path names nothing that exists: 404, never 400/500.
        if (error.validationContext === 'params') {
          return reply.code(404).send({ errors: [{ message: 'Not found' }] });
        }
        return reply
          .code(400)
          .send({ errors: validationItems(error.validation, error.validationContext) });
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const known = error.code ? frameworkMessages[error.code] : undefined;
        const message =
          known ??
          (error instanceof SyntaxError ? 'Request body is not valid JSON' : error.message);
        return reply.code(status).send({ errors: [{ message }] });
      }
      if (isDataException(error)) {
        // Postgres refused a value the route's schema let through (a NUL in text,
        // a date out of its range): the input is at fault, not the service.
        request.log.warn({ err: error }, 'input refused by the database');
        return reply.code(400).send({ errors: [{ message: 'Invalid value in request' }] });
      }
      if (isBusyError(error)) {
        // Too much work queued here (no pool connection within its wait, a statement
        // cancelled at its timeout): a refusal, as admission control's, never a 500.
        const seconds = request.server.hasDecorator('admission')
          ? request.server.admission.settings.retryAfterSeconds
          : DEFAULT_ADMISSION.retryAfterSeconds;
        request.log.warn({ err: error }, 'refused: busy');
        return reply.code(503).header('retry-after', String(seconds)).send(busyBody(seconds));
      }
      if (request.raw.readableAborted && isTransientError(error)) {
        // The client's own connection dropped mid-request (an upload cut off): its
        // ECONNRESET is no dependency down. Nobody reads the answer; the line and the
        // status (a 5xx would feed the error-rate alert) say what happened.
        request.log.info({ err: error }, 'client went away before its request ended');
        return reply
          .code(400)
          .send({ errors: [{ message: 'The request ended before its body was complete' }] });
      }
      if (isClientGone(error, reply.raw)) {
        // Nobody reads the answer, and nothing is wrong here: an info line, not an
        // error one (a rush of buyers closing their tabs is no incident). The status is
        // nginx's "client closed request", for whatever still records it.
        request.log.info({ err: error }, 'client went away before its answer was sent');
        return reply.code(499).send({ errors: [{ message: 'Client closed the request' }] });
      }
      if (isTransientError(error)) {
        // A dependency is restarting or out of reach: say so, and let the caller retry.
        request.log.warn({ err: error }, 'dependency unavailable');
        return reply
          .code(503)
          .send({ errors: [{ message: 'Service temporarily unavailable, try again shortly' }] });
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ errors: [{ message: 'Something went wrong' }] });
    });
  },
  { name: 'gittix-error-handler' },
);
