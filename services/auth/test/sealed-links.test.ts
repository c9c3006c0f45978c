import { randomBytes } from 'node:crypto';
import { unsealToken } from '@gittix/common';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailedToken, signUpUser, startTestAuth, type TestAuth } from './auth-app.js';

/**
 * Whoever reads auth's outbox (kept 7 days after sending) or the event stream (4 days)
 * must not find a link that works: the token travels sealed for notifications.
 */
describe('emailed links at rest', () => {
  let auth: TestAuth;

  beforeAll(async () => {
    auth = await startTestAuth();
  });
  afterAll(() => auth?.close());

  it('when auth emails a verification and a reset link, then its outbox rows and the stream hold only sealed tokens, which open only with its key, for their subject and user', async () => {
    const user = await signUpUser(auth.app);
    await auth.app.inject({
      method: 'POST',
      url: '/api/users/password/forgot',
      payload: { email: user.email },
    });
    const verify = await emailedToken(auth, 'user.verification_requested', user.id);
    const reset = await emailedToken(auth, 'user.password_reset_requested', user.id);
    expect(verify).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const { rows } = await sql<{ envelope: unknown }>`
      SELECT envelope FROM outbox WHERE envelope->'data'->>'userId' = ${user.id}`.execute(auth.db);
    const stream = [
      ...(await auth.publishedEvents('user.verification_requested')),
      ...(await auth.publishedEvents('user.password_reset_requested')),
    ].filter((e) => e.data.userId === user.id);
    expect(stream).toHaveLength(2);
    for (const stored of [JSON.stringify(rows), JSON.stringify(stream)]) {
      expect(stored).not.toContain(verify);
      expect(stored).not.toContain(reset);
    }
    for (const event of stream)
      expect(Object.keys(event.data).sort()).toEqual(['email', 'sealedToken', 'userId']);

    const sealed = stream.find((e) => e.type === 'user.password_reset_requested')!.data
      .sealedToken!;
    const context = {
      purpose: 'user.password_reset_requested',
      userId: user.id,
      email: user.email,
    } as const;
    expect(() => unsealToken(randomBytes(32).toString('base64'), sealed, context)).toThrow();
    expect(() =>
      unsealToken(auth.config.EMAIL_TOKEN_KEY, sealed, { ...context, userId: crypto.randomUUID() }),
    ).toThrow();
    expect(() =>
      unsealToken(auth.config.EMAIL_TOKEN_KEY, sealed, {
        ...context,
        purpose: 'user.verification_requested',
      }),
    ).toThrow();
    expect(() =>
      unsealToken(auth.config.EMAIL_TOKEN_KEY, sealed, {
        ...context,
        email: 'someone-else@example.com',
      }),
    ).toThrow();
  });
});
