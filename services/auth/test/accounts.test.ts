import { waitFor } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, spendTokens } from '../src/email-tokens.js';
import { openSession, revokeSessions } from '../src/session-store.js';
import { createSessionSigner } from '../src/sessions.js';
import {
  emailedToken as emailedTokenOf,
  password,
  sessionCookieOf,
  signUpUser,
  startTestAuth,
  type TestAuth,
  uniqueAddress,
  uniqueEmail,
} from './auth-app.js';

let auth: TestAuth;
let app: FastifyInstance;

beforeAll(async () => {
  auth = await startTestAuth({ env: { EMAILS_MAX_PER_ACCOUNT: '3' } });
  app = auth.app;
  // Auth follows its own revocations through the stream, as every service does.
  await auth.start();
});
afterAll(() => auth?.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (url: string, payload?: object, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    ...(payload ? { payload } : {}),
    headers,
    remoteAddress: uniqueAddress(),
  });
const currentUser = async (token: string) =>
  (
    await app.inject({ method: 'GET', url: '/api/users/currentuser', headers: bearer(token) })
  ).json().currentUser;

/**
 * Resolves once `work` has settled, or a statement of this database matching `query`
 * (ILIKE) waits for a lock another transaction holds: the race is set up.
 */
async function settledOrWaitingOnLock(work: PromiseLike<unknown>, query: string, message: string) {
  let settled = false;
  work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await waitFor(
    async () => {
      if (settled) return true;
      const { rows } = await sql<{ waiting: number }>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'
          AND query ILIKE ${query}`.execute(auth.db);
      return rows[0]!.waiting > 0;
    },
    { message },
  );
}

/** The newest token auth asked notifications to email to `userId` for `subject`. */
const emailedToken = (
  subject: 'user.verification_requested' | 'user.password_reset_requested',
  userId: string,
  after = 0,
) => emailedTokenOf(auth, subject, userId, after);

const countEvents = async (
  subject: 'user.verification_requested' | 'user.password_reset_requested',
  userId: string,
) => (await auth.publishedEvents(subject)).filter((e) => e.data.userId === userId).length;

describe('email verification', () => {
  it('when a user signs up, then user.created and a verification link are published and only its hash is stored', async () => {
    const user = await signUpUser(app);

    const created = (await auth.publishedEvents('user.created')).find((e) => e.data.id === user.id);
    expect(created?.data).toEqual({
      id: user.id,
      version: 0,
      email: user.email,
      emailVerified: false,
    });
    const token = await emailedToken('user.verification_requested', user.id);
    expect(token.length).toBeGreaterThanOrEqual(43);
    const stored = await auth.db
      .selectFrom('email_tokens')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).toBe(hashToken(token));
    expect(stored[0]!.token_hash).not.toContain(token);
    expect(await currentUser(user.token)).toMatchObject({ emailVerified: false });
  });

  it('when the emailed token is posted, then the email is verified once, user.updated says so, and the token is spent', async () => {
    const user = await signUpUser(app);
    const token = await emailedToken('user.verification_requested', user.id);

    const verified = await post('/api/users/verify', { token });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toEqual({ id: user.id, email: user.email, emailVerified: true });
    expect(await currentUser(user.token)).toMatchObject({ emailVerified: true });
    const updated = (await auth.publishedEvents('user.updated')).filter(
      (e) => e.data.id === user.id,
    );
    expect(updated.map((e) => e.data)).toEqual([
      { id: user.id, version: 1, email: user.email, emailVerified: true },
    ]);

    const again = await post('/api/users/verify', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({
      errors: [{ message: 'Verification link is invalid or has expired', field: 'token' }],
    });
  });

  it('when the token is forged, truncated, expired, empty or a reset token, then 400 and nothing changes', async () => {
    const user = await signUpUser(app);
    const token = await emailedToken('user.verification_requested', user.id);
    await post('/api/users/password/forgot', { email: user.email });
    const resetToken = await emailedToken('user.password_reset_requested', user.id);

    for (const bad of [
      'A'.repeat(43),
      token.slice(0, -1),
      `${token}x`,
      resetToken,
      'x'.repeat(600),
    ]) {
      const response = await post('/api/users/verify', { token: bad });
      expect(response.statusCode, bad).toBe(400);
    }
    expect((await post('/api/users/verify', { token: '' })).statusCode).toBe(400);
    expect((await post('/api/users/verify', {})).statusCode).toBe(400);

    await auth.db
      .updateTable('email_tokens')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('token_hash', '=', hashToken(token))
      .execute();
    expect((await post('/api/users/verify', { token })).statusCode).toBe(400);
    expect(await currentUser(user.token)).toMatchObject({ emailVerified: false });
  });

  it('when a signed-in user asks again, then 202 and a new link; signed out, 401; verified, no email', async () => {
    const user = await signUpUser(app);
    await emailedToken('user.verification_requested', user.id);

    expect((await post('/api/users/verify/resend')).statusCode).toBe(401);
    const resent = await post('/api/users/verify/resend', undefined, bearer(user.token));
    expect(resent.statusCode).toBe(202);
    expect(resent.json()).toEqual({});
    const second = await emailedToken('user.verification_requested', user.id, 1);
    expect((await post('/api/users/verify', { token: second })).statusCode).toBe(200);

    const before = await countEvents('user.verification_requested', user.id);
    expect((await post('/api/users/verify/resend', undefined, bearer(user.token))).statusCode).toBe(
      202,
    );
    expect(await countEvents('user.verification_requested', user.id)).toBe(before);
  });

  it('when one account asks for more emails than allowed, then 429 and no more emails', async () => {
    const user = await signUpUser(app);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await post('/api/users/verify/resend', undefined, bearer(user.token))).statusCode,
      );
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    expect(await countEvents('user.verification_requested', user.id)).toBe(4);
  });

  it('when one account asks for verification and reset emails in turn, then both count against one limit', async () => {
    const user = await signUpUser(app);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await post('/api/users/verify/resend', undefined, bearer(user.token))).statusCode,
        (await post('/api/users/password/forgot', { email: user.email })).statusCode,
      );
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
  });
});

describe('password reset', () => {
  it('when a known email asks, then 202 and a reset link valid 30 minutes is published', async () => {
    const user = await signUpUser(app);
    const response = await post('/api/users/password/forgot', {
      email: ` ${user.email.toUpperCase()}`,
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({});
    const token = await emailedToken('user.password_reset_requested', user.id);
    const stored = await auth.db
      .selectFrom('email_tokens')
      .select(['expires_at', 'purpose'])
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirstOrThrow();
    expect(stored.purpose).toBe('reset');
    const minutes = (stored.expires_at.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30);
  });

  it('when an unknown email asks, then the same 202 and no email; a non-email is 400', async () => {
    const unknown = uniqueEmail('nobody');
    const before = (await auth.publishedEvents('user.password_reset_requested')).length;
    const response = await post('/api/users/password/forgot', { email: unknown });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({});
    const known = await signUpUser(app);
    await post('/api/users/password/forgot', { email: known.email });
    await emailedToken('user.password_reset_requested', known.id);
    const events = await auth.publishedEvents('user.password_reset_requested');
    expect(events.slice(before).map((e) => e.data.email)).toEqual([known.email]);

    const bad = await post('/api/users/password/forgot', { email: 'not-an-email' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('email');
  });

  it('when known and unknown emails ask, then the answers take the same time', async () => {
    const known = await Promise.all(Array.from({ length: 15 }, () => signUpUser(app)));
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await post('/api/users/password/forgot', { email });
      expect(response.statusCode).toBe(202);
      return performance.now() - started;
    };
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (const [i, user] of known.entries()) {
      // Alternating who goes first, so neither kind always follows the other's after-work.
      if (i % 2 === 0) knownTimes.push(await timed(user.email));
      unknownTimes.push(await timed(uniqueEmail('ghost')));
      if (i % 2 === 1) knownTimes.push(await timed(user.email));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
    const [k, u] = [median(knownTimes), median(unknownTimes)];
    // The lookup and the link happen after the answer: both paths do the same work first.
    // The tolerance grows with the machine's load (other test files share the CPU).
    expect(Math.abs(k - u)).toBeLessThan(Math.max(15, 0.3 * Math.max(k, u)));
  });

  it('when one email is flooded with requests, then 429 after the limit and no flood of emails', async () => {
    const user = await signUpUser(app);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await post('/api/users/password/forgot', { email: user.email })).statusCode);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429]);
    await emailedToken('user.password_reset_requested', user.id, 2);
    expect(await countEvents('user.password_reset_requested', user.id)).toBe(3);
  });

  it('when the link is used, then the password changes, every session of the user ends, and the link is spent', async () => {
    const user = await signUpUser(app);
    const other = await post('/api/users/signin', { email: user.email, password });
    const otherToken = sessionCookieOf(other)!.value;
    await post('/api/users/password/forgot', { email: user.email });
    const token = await emailedToken('user.password_reset_requested', user.id);

    const reset = await post('/api/users/password/reset', {
      token,
      password: 'a brand new secret',
    });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({ id: user.id, email: user.email });
    // Auth drops them at once; the other services within 2 s (their tests and e2e).
    expect(await currentUser(user.token)).toBeNull();
    expect(await currentUser(otherToken)).toBeNull();
    // The events reach the stream through the outbox relay, a moment after the commit.
    const revoked = await waitFor(
      async () => {
        const found = (await auth.publishedEvents('session.revoked')).filter(
          (e) => e.data.userId === user.id,
        );
        return found.length >= 2 ? found : undefined;
      },
      { message: 'both sessions revoked on the stream' },
    );
    expect(revoked).toHaveLength(2);

    expect((await post('/api/users/signin', { email: user.email, password })).statusCode).toBe(400);
    const signedIn = await post('/api/users/signin', {
      email: user.email,
      password: 'a brand new secret',
    });
    expect(signedIn.statusCode).toBe(200);
    expect(await currentUser(sessionCookieOf(signedIn)!.value)).toMatchObject({
      emailVerified: true,
    });

    const reused = await post('/api/users/password/reset', { token, password: 'yet another one' });
    expect(reused.statusCode).toBe(400);
    expect(reused.json()).toEqual({
      errors: [{ message: 'Reset link is invalid or has expired', field: 'token' }],
    });
  });

  it('when the new password breaks the rule or the link expired, then 400 and the password stays', async () => {
    const user = await signUpUser(app);
    await post('/api/users/password/forgot', { email: user.email });
    const token = await emailedToken('user.password_reset_requested', user.id);

    const weak = await post('/api/users/password/reset', { token, password: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors).toEqual([
      { message: 'Password must be between 8 and 128 characters', field: 'password' },
    ]);
    const long = await post('/api/users/password/reset', { token, password: 'x'.repeat(129) });
    expect(long.statusCode).toBe(400);

    await auth.db
      .updateTable('email_tokens')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('token_hash', '=', hashToken(token))
      .execute();
    const expired = await post('/api/users/password/reset', { token, password: 'long enough now' });
    expect(expired.statusCode).toBe(400);
    expect((await post('/api/users/signin', { email: user.email, password })).statusCode).toBe(200);
    expect(await currentUser(user.token)).toMatchObject({ id: user.id });
  });

  it('when a sign-in checked against the old password races a reset, then it opens no session once the reset commits', async () => {
    const user = await signUpUser(app);
    const { password_hash: oldHash } = await auth.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    const signer = await createSessionSigner({ privateKeyPem: auth.privateKeyPem, ttlSeconds: 60 });
    // The reset's transaction, held open after it revoked every session (as resetPassword
    // does before it commits).
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let revoked!: () => void;
    const revocationsDone = new Promise<void>((resolve) => {
      revoked = resolve;
    });
    const reset = auth.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ password_hash: 'a-new-hash' })
        .where('id', '=', user.id)
        .execute();
      await revokeSessions(trx, { userId: user.id });
      revoked();
      await committing;
    });
    await revocationsDone;

    const signIn = openSession(auth.db, signer, user, oldHash);
    // Either the sign-in went through already, or it waits on the reset's row lock.
    await settledOrWaitingOnLock(
      signIn,
      '%INSERT INTO sessions%',
      'the sign-in to finish or wait for the reset',
    );
    commit();
    await reset;

    expect(await signIn).toBeNull();
    const live = await auth.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
  });

  it('when two resets race with one link, then exactly one wins', async () => {
    const user = await signUpUser(app);
    await post('/api/users/password/forgot', { email: user.email });
    const token = await emailedToken('user.password_reset_requested', user.id);
    const statuses = await Promise.all(
      ['first new password', 'second new password'].map(
        async (next) =>
          (await post('/api/users/password/reset', { token, password: next })).statusCode,
      ),
    );
    expect(statuses.sort()).toEqual([200, 400]);
  });
});

describe('change password', () => {
  const change = (token: string | null, body: object) =>
    app.inject({
      method: 'PUT',
      url: '/api/users/password',
      payload: body,
      headers: token ? bearer(token) : {},
    });

  it('when signed out, then 401; with a wrong current password, 400 Invalid credentials; a weak one, 400', async () => {
    const user = await signUpUser(app);
    expect(
      (await change(null, { currentPassword: password, newPassword: 'whatever long' })).statusCode,
    ).toBe(401);
    const wrong = await change(user.token, {
      currentPassword: 'not my password',
      newPassword: 'whatever long',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors[0].message).toBe('Invalid credentials');
    const missing = await change(user.token, { newPassword: 'whatever long' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      errors: [{ message: 'Current password is required', field: 'currentPassword' }],
    });
    const weak = await change(user.token, { currentPassword: password, newPassword: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].field).toBe('newPassword');
    expect(await currentUser(user.token)).toMatchObject({ id: user.id });
  });

  it('when a session is used to guess the current password, then 429 with Retry-After after the sign-in limit', async () => {
    const user = await signUpUser(app);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (
          await change(user.token, {
            currentPassword: `guess ${i} wrong`,
            newPassword: 'whatever long',
          })
        ).statusCode,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    const refused = await change(user.token, {
      currentPassword: password,
      newPassword: 'whatever long',
    });
    expect(refused.statusCode).toBe(429);
    // As on sign-in: when to try again.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('when the current password is right, then a new session cookie and every other session ends', async () => {
    const user = await signUpUser(app);
    const elsewhere = sessionCookieOf(
      await post('/api/users/signin', { email: user.email, password }),
    )!.value;

    const changed = await change(user.token, {
      currentPassword: password,
      newPassword: 'my new long password',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({ id: user.id, email: user.email });
    const fresh = sessionCookieOf(changed)!.value;
    expect(await currentUser(fresh)).toMatchObject({ id: user.id });
    expect(await currentUser(elsewhere)).toBeNull();
    expect(await currentUser(user.token)).toBeNull();
  });
});

describe('emailed links after the password changed', () => {
  it('when a reset link was asked for and the password is then changed, then the link no longer works', async () => {
    // Someone who could read the mailbox once (or the link itself) asked for a reset;
    // the owner, warned by the email, changes the password while still signed in.
    const user = await signUpUser(app);
    await post('/api/users/password/forgot', { email: user.email });
    const token = await emailedToken('user.password_reset_requested', user.id);

    const changed = await app.inject({
      method: 'PUT',
      url: '/api/users/password',
      payload: { currentPassword: password, newPassword: 'changed after the warning' },
      headers: bearer(user.token),
    });
    expect(changed.statusCode).toBe(200);

    const takeover = await post('/api/users/password/reset', {
      token,
      password: 'the attacker chose this',
    });
    expect(takeover.statusCode).toBe(400);
    expect(takeover.json()).toEqual({
      errors: [{ message: 'Reset link is invalid or has expired', field: 'token' }],
    });
    const owner = await post('/api/users/signin', {
      email: user.email,
      password: 'changed after the warning',
    });
    expect(owner.statusCode).toBe(200);
    expect(await currentUser(sessionCookieOf(changed)!.value)).toMatchObject({ id: user.id });
  });
});

describe('a reset racing a password change', () => {
  it('when a reset link is used while a password change is committing, then the link loses and nothing deadlocks', async () => {
    const user = await signUpUser(app);
    await post('/api/users/password/forgot', { email: user.email });
    const token = await emailedToken('user.password_reset_requested', user.id);

    // The change's transaction as changePassword runs it: the user's row first, held
    // open while the reset comes in, then the user's reset links.
    let proceed!: () => void;
    const proceeding = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    let locked!: () => void;
    const userLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const change = auth.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ password_hash: 'the changed hash' })
        .where('id', '=', user.id)
        .execute();
      locked();
      await proceeding;
      await spendTokens(trx, user.id, 'reset');
    });
    await userLocked;

    const reset = post('/api/users/password/reset', {
      token,
      password: 'the reset password',
    });
    await settledOrWaitingOnLock(reset, '%users%', 'the reset to wait for the change');
    proceed();
    await change;

    const answer = await reset;
    expect(answer.statusCode).toBe(400);
    expect(answer.json().errors[0].field).toBe('token');
    const { password_hash } = await auth.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(password_hash).toBe('the changed hash');
  });
});

describe('sign-out', () => {
  it('when a user signs out, then that session token is refused from then on and session.revoked says so', async () => {
    const user = await signUpUser(app);
    const kept = sessionCookieOf(
      await post('/api/users/signin', { email: user.email, password }),
    )!.value;

    const out = await post('/api/users/signout', undefined, bearer(user.token));
    expect(out.statusCode).toBe(200);
    expect(await currentUser(user.token)).toBeNull();
    expect(await currentUser(kept)).toMatchObject({ id: user.id });
    const revoked = (await auth.publishedEvents('session.revoked')).filter(
      (e) => e.data.userId === user.id,
    );
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.data.sessionId).toBeTruthy();
    expect(Date.parse(revoked[0]!.data.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('when a sign-out carries a Bearer token and a cookie of another session, then both sessions end', async () => {
    const user = await signUpUser(app);
    const inCookie = sessionCookieOf(
      await post('/api/users/signin', { email: user.email, password }),
    )!.value;
    const kept = sessionCookieOf(
      await post('/api/users/signin', { email: user.email, password }),
    )!.value;

    const out = await post('/api/users/signout', undefined, {
      ...bearer(user.token),
      cookie: `session=${inCookie}`,
    });
    expect(out.statusCode).toBe(200);
    expect(sessionCookieOf(out)?.value).toBe('');
    expect(await currentUser(user.token)).toBeNull();
    expect(await currentUser(inCookie)).toBeNull();
    // A third session, in neither, is not this sign-out's.
    expect(await currentUser(kept)).toMatchObject({ id: user.id });
  });

  it.each(['bearer', 'BEARER', 'BeArEr'])(
    'when the Authorization scheme is written %s, then the token is honoured all the same',
    async (scheme) => {
      const user = await signUpUser(app);
      const response = await app.inject({
        method: 'GET',
        url: '/api/users/currentuser',
        headers: { authorization: `${scheme} ${user.token}` },
      });
      expect(response.json().currentUser).toMatchObject({ id: user.id });
    },
  );

  it('when another replica only hears of the sign-out through the stream, then it refuses the token within 2 s', async () => {
    const replica = await startTestAuth({
      environment: auth.environment,
      env: { JWT_PRIVATE_KEY: auth.privateKeyPem },
    });
    try {
      const user = await signUpUser(app);
      const onReplica = async () =>
        (
          await replica.app.inject({
            method: 'GET',
            url: '/api/users/currentuser',
            headers: bearer(user.token),
          })
        ).json().currentUser;
      expect(await onReplica()).toMatchObject({ id: user.id });
      await post('/api/users/signout', undefined, bearer(user.token));
      await auth.relay!.drain();
      const started = Date.now();
      await waitFor(async () => (await onReplica()) === null, { timeoutMs: 2_000 });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await replica.stop();
    }
  });
});
