import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseConfigSchema,
  createLogger,
  createServiceApp,
  defineService,
  env,
} from '../../src/index.js';
import { startTestService, type TestService, waitFor } from '../../src/testing/index.js';

const lines: Array<Record<string, unknown>> = [];
/** Uploads the handler has started reading. */
let reading = 0;
const logger = createLogger({
  name: 'uploads',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  }),
});

/** A service taking a streamed upload, as tickets takes a ticket's file. */
const uploadService = defineService({
  name: 'uploads',
  configSchema: baseConfigSchema.extend({ PORT: env.port(0) }),
  needs: {},
  build: async ({ logger, readiness }) => {
    const app = await createServiceApp({ name: 'uploads', logger, readiness });
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.put('/upload', async (request, reply) => {
      let bytes = 0;
      reading += 1;
      for await (const chunk of request.raw) bytes += (chunk as Buffer).length;
      return reply.send({ bytes });
    });
    return { app };
  },
});

describe('a client that goes away in the middle of its upload', () => {
  let service: TestService<typeof uploadService>;
  let port: number;

  beforeAll(async () => {
    service = await startTestService(uploadService, { logger });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    port = (service.app.server.address() as AddressInfo).port;
  });
  afterAll(() => service?.close());

  it('when the connection drops before the body ends, then it is logged as the client going away, not as a dependency down (503, a warning)', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'PUT /upload HTTP/1.1\r\nHost: gittix\r\nContent-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n',
    );
    socket.write(Buffer.alloc(1_000));
    // The server has the first bytes in hand, then the client is gone.
    await waitFor(() => reading > 0, { message: 'the upload being read' });
    socket.destroy();

    const line = await waitFor(
      () => lines.find((l) => (l.err as { message?: string } | undefined)?.message === 'aborted'),
      { message: 'the aborted upload logged' },
    );
    // Nothing is wrong with the service: no warning, no 503 (its 5xx alert), no dependency.
    expect(line).toMatchObject({ level: 30, msg: 'client went away before its request ended' });
    expect(lines.some((l) => l.msg === 'dependency unavailable')).toBe(false);
    const metrics = (await service.app.inject({ url: '/metrics' })).body;
    expect(metrics).not.toMatch(/status_code="5\d\d"/);
  });
});
