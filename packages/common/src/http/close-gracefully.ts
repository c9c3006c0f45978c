import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Once the app is closing, every response still being written ends its connection.
 * Closing waits for connections, and a keep-alive one (the gateway's, a browser's)
 * whose last request finished after close began would otherwise idle for Fastify's
 * 72 s keep-alive timeout, past any shutdown deadline.
 */
export const closeGracefullyPlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    // A callback hook: an async one costs a promise and a microtask on every response.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
  },
  { name: 'gittix-close-gracefully' },
);
