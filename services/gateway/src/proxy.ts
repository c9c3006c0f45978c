import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance } from 'fastify';
import type { Upstream } from './upstreams.js';

export interface ProxyTimeouts {
  connectTimeoutMs: number;
  responseTimeoutMs: number;
}

/**
 * 502 when the upstream answered but not in valid HTTP (reply-from's bad status,
 * undici's parser errors); 503 when it could not be reached or did not answer in time.
 */
function statusFor(error: Error): 502 | 503 {
  const { code, cause } = error as { code?: string; cause?: { name?: string } };
  const invalidAnswer = code === 'FST_REPLY_FROM_BAD_GATEWAY' || cause?.name === 'HTTPParserError';
  return invalidAnswer ? 502 : 503;
}

/**
 * Forwards `upstream.prefix` to the upstream as a stream: bodies are not parsed
 * here (the services validate and limit them), cookies and Set-Cookie pass through
 * as they are. An upstream that is down or too slow is answered in the API's error
 * shape, never with a hang or the proxy's own error body.
 */
export async function proxyTo(
  app: FastifyInstance,
  upstream: Upstream,
  timeouts: ProxyTimeouts,
): Promise<void> {
  await app.register(httpProxy, {
    upstream: upstream.url,
    prefix: upstream.prefix,
    rewritePrefix: upstream.prefix,
    websocket: upstream.websocket ?? false,
    disableRequestLogging: true,
    undici: {
      connectTimeout: timeouts.connectTimeoutMs,
      headersTimeout: timeouts.responseTimeoutMs,
      bodyTimeout: timeouts.responseTimeoutMs,
    },
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => ({
        ...headers,
        'x-request-id': request.id,
        // request.ip honours TRUST_PROXY, so a client cannot choose its own address.
        'x-forwarded-for': request.ip,
        'x-forwarded-proto': request.protocol,
        'x-forwarded-host': request.host,
      }),
      // Never retry: a POST may already have had its effect, and a 503 is the answer.
      retryDelay: () => null,
      onError: (reply, { error }) => {
        // An upstream being down is expected operationally: one line, not a stack.
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        reply.request.log.warn(
          { upstream: upstream.url, reason: cause?.code ?? cause?.message ?? error.message },
          `${upstream.label} upstream failed`,
        );
        // The unread rest of a request body would poison a kept-alive connection.
        if (!reply.request.raw.complete) reply.header('connection', 'close');
        void reply
          .code(statusFor(error))
          .send({ errors: [{ message: `${upstream.label} service unavailable` }] });
      },
    },
  });
}
