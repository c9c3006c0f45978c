import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigSchema, createServiceApp, defineService, env } from '../../src/index.js';
import { startTestService, type TestService } from '../../src/testing/index.js';

/** Routes with and without a body, as the services have them. */
const bodies = defineService({
  name: 'bodies',
  configSchema: baseConfigSchema.extend({ PORT: env.port(0) }),
  needs: {},
  build: async ({ logger, readiness }) => {
    const app = await createServiceApp({ name: 'bodies', logger, readiness });
    app.delete('/things/:id', async (_request, reply) => reply.code(204).send());
    app.post('/payouts', async (_request, reply) => reply.code(201).send({ ok: true }));
    app.post(
      '/things',
      { schema: { body: z.object({ title: z.string() }) } },
      async (request, reply) => reply.code(201).send(request.body),
    );
    return { app };
  },
});

describe('an empty body labelled application/json', () => {
  let service: TestService<typeof bodies>;
  beforeAll(async () => {
    service = await startTestService(bodies);
  });
  afterAll(() => service?.close());

  const send = (method: 'DELETE' | 'POST', url: string) =>
    service.app.inject({ method, url, headers: { 'content-type': 'application/json' } });

  it('when the route takes no body (a DELETE, a body-less POST), then it is no error', async () => {
    expect((await send('DELETE', '/things/1')).statusCode).toBe(204);
    expect((await send('POST', '/payouts')).statusCode).toBe(201);
  });

  it('when the route takes a body, then 400 says the body is empty', async () => {
    const response = await send('POST', '/things');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: 'Request body is empty but content-type is application/json' }],
    });
  });
});
