import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  baseConfigSchema,
  createServiceApp,
  defineService,
  env,
  redisConfigSchema,
} from '../../src/index.js';
import {
  createTestEnvironment,
  startTestService,
  type TestEnvironment,
  waitFor,
} from '../../src/testing/index.js';

/** A service that needs Redis and nothing that would listen to its connection's errors. */
const redisOnly = defineService({
  name: 'redisonly',
  configSchema: baseConfigSchema.extend(redisConfigSchema.shape).extend({ PORT: env.port(0) }),
  needs: { redis: true },
  build: async ({ logger, readiness }) => ({
    app: await createServiceApp({ name: 'redisonly', logger, readiness }),
    subscriptions: [],
  }),
});

describe("a service's Redis connection", () => {
  let environment: TestEnvironment;
  // Accepts each connection and resets it at once: the client sees ECONNRESET.
  let resetting: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    environment = await createTestEnvironment();
    resetting = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => resetting?.close(resolve));
    await environment?.close();
  });

  it('when the connection fails, then the error goes to the JSON log at debug, never to stderr as unhandled', async () => {
    const lines: Array<{ level: number; msg: string; err?: { message?: string } }> = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { port } = resetting.address() as AddressInfo;
    const service = await startTestService(redisOnly, {
      environment,
      logger,
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
    });
    try {
      await waitFor(() => lines.some((line) => line.msg === 'redis connection error'), {
        timeoutMs: 10_000,
        message: 'the connection error in the log',
      });
      const logged = lines.find((line) => line.msg === 'redis connection error');
      expect(logged?.level).toBe(20);
      expect(logged?.err?.message).toMatch(/ECONNRESET|closed/);
      expect(
        printed.mock.calls.filter((call) => String(call[0]).includes('Unhandled error event')),
      ).toEqual([]);
    } finally {
      printed.mockRestore();
      await service.stop();
    }
  });
});
