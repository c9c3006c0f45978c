import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authVerifyConfigSchema,
  baseConfigSchema,
  createServiceApp,
  defineService,
  env,
  natsConfigSchema,
  RevokedSessions,
  requireUser,
} from '../../src/index.js';
import {
  createTestEnvironment,
  startTestService,
  type TestEnvironment,
  type TestService,
  waitFor,
} from '../../src/testing/index.js';

/** A service with one protected route, verifying sessions as tickets, orders and payments do. */
const guardedService = defineService({
  name: 'guarded',
  configSchema: baseConfigSchema
    .extend(natsConfigSchema.shape)
    .extend(authVerifyConfigSchema.shape)
    .extend({ PORT: env.port(0) }),
  needs: { sessions: true },
  build: async ({ logger, readiness, verifySession }) => {
    const app = await createServiceApp({ name: 'guarded', logger, readiness, verifySession });
    app.get('/me', async (request) => ({ id: requireUser(request).id }));
    return { app };
  },
});

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe('revoked sessions, as every service that verifies sessions sees them', () => {
  let environment: TestEnvironment;
  let first: TestService<typeof guardedService>;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    first = await startTestService(guardedService, { environment });
  });
  afterAll(async () => {
    await first?.close();
    await environment?.close();
  });

  const statusOf = async (service: TestService<typeof guardedService>, token: string) =>
    (await service.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } }))
      .statusCode;

  it('when auth revokes one session, then its token gets 401 within 2 s and another session of the user still works', async () => {
    const user = { id: randomUUID(), email: 'ada@example.com' };
    const ended = await environment.sessions.sign({ ...user, sessionId: randomUUID() });
    const kept = await environment.sessions.sign({ ...user, sessionId: randomUUID() });
    expect(await statusOf(first, ended)).toBe(200);

    const sessionId = JSON.parse(Buffer.from(ended.split('.')[1]!, 'base64url').toString()).sid;
    const started = Date.now();
    await environment.publish('session.revoked', {
      userId: user.id,
      sessionId,
      issuedBefore: null,
      exceptSessionId: null,
      expiresAt: inAnHour(),
    });
    await waitFor(async () => (await statusOf(first, ended)) === 401, { timeoutMs: 2_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await statusOf(first, kept)).toBe(200);
  });

  it('when every session issued before a time is revoked, then older tokens fail and the excepted one works', async () => {
    const user = { id: randomUUID(), email: 'bob@example.com' };
    const keptId = randomUUID();
    const old = await environment.sessions.sign({ ...user, sessionId: randomUUID() });
    const kept = await environment.sessions.sign({ ...user, sessionId: keptId });
    await environment.publish('session.revoked', {
      userId: user.id,
      sessionId: null,
      issuedBefore: new Date(Date.now() + 1_000).toISOString(),
      exceptSessionId: keptId,
      expiresAt: inAnHour(),
    });
    await waitFor(async () => (await statusOf(first, old)) === 401, { timeoutMs: 2_000 });
    expect(await statusOf(first, kept)).toBe(200);
  });

  it('when a service starts after revocations, then it rebuilds the list before it accepts any session', async () => {
    const user = { id: randomUUID(), email: 'cy@example.com' };
    const sessionId = randomUUID();
    const token = await environment.sessions.sign({ ...user, sessionId });
    await environment.publish('session.revoked', {
      userId: user.id,
      sessionId,
      issuedBefore: null,
      exceptSessionId: null,
      expiresAt: inAnHour(),
    });
    // The first service has seen it, so the sessions stream holds it.
    await waitFor(async () => (await statusOf(first, token)) === 401, { timeoutMs: 2_000 });

    const restarted = await startTestService(guardedService, { environment });
    try {
      expect(await statusOf(restarted, token)).toBe(401);
      const other = await environment.sessions.sign({ ...user, sessionId: randomUUID() });
      expect(await statusOf(restarted, other)).toBe(200);
    } finally {
      await restarted.stop();
    }
  });

  it('when a malformed revocation arrives, then it is ignored and later ones still apply', async () => {
    const bus = await environment.bus();
    await bus.js.publish(bus.subjectOf('session.revoked'), '{"not":"an event"}', {
      msgID: randomUUID(),
    });
    const user = { id: randomUUID(), email: 'dee@example.com' };
    const sessionId = randomUUID();
    const token = await environment.sessions.sign({ ...user, sessionId });
    await environment.publish('session.revoked', {
      userId: user.id,
      sessionId,
      issuedBefore: null,
      exceptSessionId: null,
      expiresAt: inAnHour(),
    });
    await waitFor(async () => (await statusOf(first, token)) === 401, { timeoutMs: 2_000 });
  });

  it('when the list is not loaded yet, then every session counts as revoked (fail closed)', () => {
    const list = new RevokedSessions();
    expect(list.isRevoked({ userId: randomUUID(), sessionId: randomUUID(), issuedAt: 0 })).toBe(
      true,
    );
  });

  it('when a revocation has expired, then it is forgotten', () => {
    const list = RevokedSessions.empty();
    const sessionId = randomUUID();
    list.apply({
      userId: randomUUID(),
      sessionId,
      issuedBefore: null,
      exceptSessionId: null,
      expiresAt: new Date(Date.now() + 1_000).toISOString(),
    });
    expect(list.size).toBe(1);
    list.prune(Date.now() + 2_000);
    expect(list.size).toBe(0);
  });
});
