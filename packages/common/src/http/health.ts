import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Named probes of the dependencies a service needs to serve traffic. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

const CHECK_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process is alive. `/readyz`: every dependency answers (503 otherwise). */
export const healthPlugin = fp(
  async (app: FastifyInstance, options: { checks: ReadinessChecks }) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });

    app.get('/healthz', { schema: { hide: true }, logLevel: 'warn' }, async () => ({
      status: 'ok',
    }));

    app.get('/readyz', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
      if (closing) return reply.code(503).send({ errors: [{ message: 'Shutting down' }] });
      const names = Object.keys(options.checks);
      const results = await Promise.all(names.map((name) => probe(options.checks[name]!)));
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'up' : 'down']));
      const down = names.filter((_, i) => !results[i]);
      if (down.length === 0) return { status: 'ready', checks };
      return reply
        .code(503)
        .send({ errors: [{ message: `Not ready: ${down.join(', ')} unavailable` }], checks });
    });
  },
  { name: 'gittix-health' },
);
