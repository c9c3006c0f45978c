import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseConfigSchema,
  createServiceApp,
  defineService,
  env,
  queuedMs,
} from '../../src/index.js';
import {
  capturingLogger,
  startTestService,
  type TestService,
  testInfra,
  waitFor,
} from '../../src/testing/index.js';

/**
 * A service whose one route holds each request until the test lets it go, and
 * counts the requests that reached it: a refused one must never get there.
 */
function holdingService() {
  const held: Array<() => void> = [];
  const reached: string[] = [];
  const service = defineService({
    name: 'holding',
    configSchema: baseConfigSchema.extend({ PORT: env.port(0) }),
    needs: {},
    build: async ({ logger, readiness, admission }) => {
      const app = await createServiceApp({ name: 'holding', logger, readiness, admission });
      app.post('/work', async (request) => {
        reached.push(String((request.body as { n?: unknown } | undefined)?.n));
        await new Promise<void>((resolve) => held.push(resolve));
        return { done: true };
      });
      return { app };
    },
  });
  return {
    service,
    held,
    reached,
    releaseAll: () => {
      for (const release of held.splice(0)) release();
    },
  };
}

async function post(base: string, n: number) {
  const response = await fetch(`${base}/work`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ n }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  };
}

function refusedCount(metrics: string, reason: string): number {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith('http_requests_refused_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/**
 * A service whose routes wait for Postgres as a saturated one does: for a
 * connection from a pool of one whose connection the test holds, or on a
 * statement cut off by `statement_timeout`.
 */
function saturatedDatabaseService(pool: pg.Pool) {
  return defineService({
    name: 'saturated',
    configSchema: baseConfigSchema.extend({ PORT: env.port(0) }),
    needs: {},
    build: async ({ logger, readiness, admission }) => {
      const app = await createServiceApp({ name: 'saturated', logger, readiness, admission });
      app.get('/pool', async () => {
        const client = await pool.connect();
        client.release();
        return { done: true };
      });
      app.get('/statement', async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query("SET LOCAL statement_timeout = '50ms'");
          await client.query('SELECT pg_sleep(5)');
          return { done: true };
        } finally {
          await client.query('ROLLBACK').catch(() => {});
          client.release();
        }
      });
      return { app };
    },
  });
}

/** A holding service on a port of its own for the describe's tests, with `env`. */
function useHoldingService(env: Record<string, string> = {}, logger?: Logger) {
  const holding = holdingService();
  const running = {} as { service: TestService<typeof holding.service>; base: string };
  beforeAll(async () => {
    running.service = await startTestService(holding.service, {
      env,
      ...(logger ? { logger } : {}),
    });
    await running.service.app.listen({ port: 0, host: '127.0.0.1' });
    running.base = `http://127.0.0.1:${(running.service.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    holding.releaseAll();
    await running.service?.close();
  });
  return { holding, running };
}

describe('admission control in every service (ADMISSION_*)', () => {
  describe('when ADMISSION_MAX_IN_FLIGHT is 2', () => {
    const log = capturingLogger();
    const { holding, running } = useHoldingService(
      {
        ADMISSION_MAX_IN_FLIGHT: '2',
        ADMISSION_RETRY_AFTER_SECONDS: '3',
        // The abandoned request's keep-alive socket outlives close() until the
        // keep-alive timeout (72 s by default; in a process SHUTDOWN_TIMEOUT_MS bounds it).
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      },
      log.logger,
    );

    it('when two requests are in flight, then more are refused with 503 + Retry-After in the error shape, never reach the handler, and health still answers', async () => {
      const first = [post(running.base, 1), post(running.base, 2)];
      await waitFor(() => holding.reached.length === 2, {
        timeoutMs: 10_000,
        message: 'both requests in their handler',
      });

      const refused = await Promise.all([
        post(running.base, 3),
        post(running.base, 4),
        post(running.base, 5),
      ]);
      for (const answer of refused) {
        expect(answer).toEqual({
          status: 503,
          retryAfter: '3',
          body: { errors: [{ message: 'The service is busy; retry in 3 s' }] },
        });
      }
      expect(holding.reached.toSorted()).toEqual(['1', '2']);

      // A full instance is alive, ready and observable.
      expect((await fetch(`${running.base}/healthz`)).status).toBe(200);
      expect((await fetch(`${running.base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${running.base}/metrics`)).text();
      expect(refusedCount(metrics, 'in_flight')).toBe(3);

      holding.releaseAll();
      for (const answer of await Promise.all(first)) expect(answer.status).toBe(200);

      // The finished requests left: the next ones are admitted.
      const after = [post(running.base, 6), post(running.base, 7)];
      await waitFor(() => holding.reached.length === 4, {
        timeoutMs: 10_000,
        message: 'the next two requests admitted',
      });
      holding.releaseAll();
      for (const answer of await Promise.all(after)) expect(answer.status).toBe(200);
      expect(running.service.app.admission.inFlight()).toBe(0);

      // Refusing is nearly free: counted in the metrics, never a log line each (at
      // thousands a second the lines would cost more than the refusals). The four
      // admitted requests were logged as usual.
      const statusOf = (line: Record<string, unknown>) =>
        (line.res as { statusCode?: number } | undefined)?.statusCode;
      expect(log.lines.filter((line) => statusOf(line) === 200).length).toBeGreaterThanOrEqual(4);
      expect(log.lines.filter((line) => statusOf(line) === 503)).toEqual([]);
      expect(log.lines.filter((line) => String(line.msg).includes('refused'))).toEqual([]);
    });

    it('when a client gives up on a held request, then its place is freed', async () => {
      const controller = new AbortController();
      const abandoned = fetch(`${running.base}/work`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: 'abandoned' }),
        signal: controller.signal,
      }).catch(() => 'aborted');
      await waitFor(() => running.service.app.admission.inFlight() === 1, {
        timeoutMs: 10_000,
        message: 'the request in flight',
      });
      controller.abort();
      expect(await abandoned).toBe('aborted');
      await waitFor(() => running.service.app.admission.inFlight() === 0, {
        timeoutMs: 10_000,
        message: 'its place freed',
      });
      holding.releaseAll();
    });
  });

  describe('when requests take longer than ADMISSION_TARGET_LATENCY_MS', () => {
    const { holding, running } = useHoldingService({
      ADMISSION_TARGET_LATENCY_MS: '150',
      ADMISSION_MIN_IN_FLIGHT: '2',
      ADMISSION_RETRY_AFTER_SECONDS: '1',
    });

    it('then only as many are admitted at once as complete within it (at least the minimum), the rest get 503 + Retry-After; once quick again, all are admitted', async () => {
      // Slow requests: each held well past the 150 ms target.
      const slow = [post(running.base, 1), post(running.base, 2)];
      await waitFor(() => holding.reached.length === 2, { timeoutMs: 10_000 });
      const heldSince = Date.now();
      await waitFor(() => Date.now() - heldSince > 600, { timeoutMs: 10_000 });
      holding.releaseAll();
      await Promise.all(slow);
      await waitFor(() => running.service.app.admission.load().latencyMs > 150, {
        timeoutMs: 10_000,
      });

      const admitted = [post(running.base, 3), post(running.base, 4)];
      await waitFor(() => holding.reached.length === 4, { timeoutMs: 10_000 });
      const refused = await post(running.base, 5);
      expect(refused).toEqual({
        status: 503,
        retryAfter: '1',
        body: { errors: [{ message: 'The service is busy; retry in 1 s' }] },
      });
      expect(holding.reached).not.toContain('5');
      const metrics = await (await fetch(`${running.base}/metrics`)).text();
      expect(refusedCount(metrics, 'latency')).toBe(1);
      holding.releaseAll();
      await Promise.all(admitted);

      // Quick requests bring the average under the target: the limit is lifted.
      await waitFor(
        async () => {
          const quick = post(running.base, 0);
          await waitFor(() => holding.held.length > 0, { timeoutMs: 10_000, intervalMs: 1 });
          holding.releaseAll();
          await quick;
          return running.service.app.admission.load().latencyMs <= 150;
        },
        { timeoutMs: 20_000, intervalMs: 1, message: 'the average back under the target' },
      );
      const many = [post(running.base, 6), post(running.base, 7), post(running.base, 8)];
      await waitFor(() => holding.held.length === 3, { timeoutMs: 10_000 });
      holding.releaseAll();
      for (const answer of await Promise.all(many)) expect(answer.status).toBe(200);
    });
  });

  describe('with the default limits', () => {
    const { holding, running } = useHoldingService();

    it('when 100 requests are in flight at once (the flash sale benchmark’s load), then none is refused', async () => {
      const answers = Array.from({ length: 100 }, (_, n) => post(running.base, n));
      await waitFor(() => holding.reached.length === 100, {
        timeoutMs: 20_000,
        message: 'all 100 requests in their handler',
      });
      holding.releaseAll();
      const statuses = (await Promise.all(answers)).map((a) => a.status);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const metrics = await (await fetch(`${running.base}/metrics`)).text();
      expect(refusedCount(metrics, 'in_flight')).toBe(0);
    });
  });

  describe('when the event loop is blocked past ADMISSION_MAX_EVENT_LOOP_DELAY_MS', () => {
    const { holding, running } = useHoldingService({
      ADMISSION_MAX_EVENT_LOOP_DELAY_MS: '100',
      ADMISSION_RETRY_AFTER_SECONDS: '1',
    });

    it('then API requests are refused with 503 + Retry-After until it recovers, and health still answers', async () => {
      // Blocked for longer than the 1 s sample: the whole sample is delay.
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        // busy: nothing else runs on this loop
      }
      // The sampler runs on the next turn of the loop; its verdict is the server's.
      await waitFor(() => running.service.app.isUnderPressure(), {
        timeoutMs: 10_000,
        message: 'the event loop delay sampled',
      });
      const refused = await post(running.base, 1);
      expect(refused).toEqual({
        status: 503,
        retryAfter: '1',
        body: { errors: [{ message: 'The service is busy; retry in 1 s' }] },
      });
      expect(holding.reached).toEqual([]);
      expect((await fetch(`${running.base}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${running.base}/metrics`)).text();
      expect(refusedCount(metrics, 'eventLoopDelay')).toBeGreaterThanOrEqual(1);

      // Once a sample finds the loop free again, requests are admitted.
      await waitFor(() => !running.service.app.isUnderPressure(), {
        timeoutMs: 10_000,
        message: 'the event loop recovered',
      });
      const admitted = post(running.base, 2);
      await waitFor(() => holding.reached.length === 1, { timeoutMs: 10_000 });
      holding.releaseAll();
      expect((await admitted).status).toBe(200);
    });
  });

  describe('when an ingress stamps X-Request-Start and ADMISSION_MAX_QUEUE_MS is 500', () => {
    const { holding, running } = useHoldingService({
      ADMISSION_MAX_QUEUE_MS: '500',
      ADMISSION_RETRY_AFTER_SECONDS: '1',
    });
    const stamped = (n: number, start: string | undefined) =>
      fetch(`${running.base}/work`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(start === undefined ? {} : { 'x-request-start': start }),
        },
        body: JSON.stringify({ n }),
      });

    it('when a request waited 2 s before the instance read it, then it is refused with 503 + Retry-After and never reaches the handler; fresh, unstamped and unreadable ones are admitted', async () => {
      const late = await stamped(1, `t=${((Date.now() - 2_000) / 1000).toFixed(3)}`);
      expect(late.status).toBe(503);
      expect(late.headers.get('retry-after')).toBe('1');
      expect(await late.json()).toEqual({
        errors: [{ message: 'The service is busy; retry in 1 s' }],
      });
      expect(holding.reached).toEqual([]);

      const admitted = [
        stamped(2, `t=${Date.now() - 100}`),
        stamped(3, undefined),
        stamped(4, 't=soon'),
        // A clock a little ahead of this one: not a wait.
        stamped(5, `t=${(Date.now() + 1_000) * 1000}`),
      ];
      await waitFor(() => holding.reached.length === 4, {
        timeoutMs: 10_000,
        message: 'the four requests admitted',
      });
      holding.releaseAll();
      for (const answer of await Promise.all(admitted)) expect(answer.status).toBe(200);
      const metrics = await (await fetch(`${running.base}/metrics`)).text();
      expect(refusedCount(metrics, 'queue')).toBe(1);
    });

    it('when the stamp is in seconds, milliseconds or microseconds, then each reads as the same wait', () => {
      const now = 1_764_921_600_000;
      expect(queuedMs('t=1764921598.500', now)).toBeCloseTo(1_500, 3);
      expect(queuedMs('t=1764921598500', now)).toBe(1_500);
      expect(queuedMs('1764921598500000', now)).toBe(1_500);
      expect(queuedMs(['t=1764921599000'], now)).toBe(1_000);
      expect(queuedMs(undefined, now)).toBeUndefined();
      expect(queuedMs('t=', now)).toBeUndefined();
      expect(queuedMs('t=-5', now)).toBeUndefined();
      expect(queuedMs(`t=${now + 10}`, now)).toBeUndefined();
    });
  });

  describe('when the database cannot take more work (the pool is exhausted, a statement times out)', () => {
    // One connection, and a wait for it far shorter than createDb's 5 s.
    const pool = new pg.Pool({
      connectionString: `${testInfra.postgresUrl}/postgres`,
      max: 1,
      connectionTimeoutMillis: 200,
    });
    pool.on('error', () => {});
    let service: TestService<ReturnType<typeof saturatedDatabaseService>>;
    let base: string;
    beforeAll(async () => {
      service = await startTestService(saturatedDatabaseService(pool), {
        env: { ADMISSION_RETRY_AFTER_SECONDS: '4' },
      });
      await service.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await service?.close();
      await pool.end();
    });

    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: await response.json(),
      };
    };
    const busy = {
      status: 503,
      retryAfter: '4',
      body: { errors: [{ message: 'The service is busy; retry in 4 s' }] },
    };

    it('when no pool connection frees up within its wait, then the request gets 503 + Retry-After, never 500; once one is free it succeeds', async () => {
      const holder = await pool.connect();
      try {
        expect(await get('/pool')).toEqual(busy);
      } finally {
        holder.release();
      }
      expect(await get('/pool')).toEqual({ status: 200, retryAfter: null, body: { done: true } });
    });

    it('when a statement is cancelled at statement_timeout, then the request gets 503 + Retry-After, never 500', async () => {
      expect(await get('/statement')).toEqual(busy);
    });
  });
});
