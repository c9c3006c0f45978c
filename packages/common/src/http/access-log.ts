import { context } from '@opentelemetry/api';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
// The request's span (`request.traceSpan`) is declared there.
import './tracing.js';

/**
 * Fastify's request logging with one line per request instead of two: nothing
 * when a request arrives, and, when it completes, one line with the request,
 * the status and the time. Every other line Fastify writes (errors, stream
 * failures, unknown routes) stays as it is. The line is written in the request's
 * trace context, so it names the trace even when the response's events are not
 * bound to it (tracingPlugin's `bindStreams: false`).
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const traced = request.traceSpan?.context;
    if (traced) context.with(traced, writeLine, undefined, error, request, reply);
    else writeLine(error, request, reply);
  }
}

function writeLine(
  error: Error | null | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const line = { req: request, res: reply, responseTime: reply.elapsedTime };
  if (error) reply.log.error({ ...line, err: error }, 'request errored');
  else reply.log.info(line, 'request completed');
}
