import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/email-tokens.js';
import { createPasswordHasher, type PasswordHasher } from '../src/passwords.js';
import {
  cheapPasswordCost,
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
const verifiedHashes: string[] = [];

/** The real argon2 hasher, recording which hashes sign-in verifies against. */
function recordingHasher(): PasswordHasher {
  const real = createPasswordHasher(cheapPasswordCost);
  return {
    ...real,
    verify: (hash, candidate) => {
      verifiedHashes.push(hash);
      return real.verify(hash, candidate);
    },
  };
}

beforeAll(async () => {
  auth = await startTestAuth({ passwords: recordingHasher() });
  app = auth.app;
});

afterAll(() => auth?.close());

const signIn = (
  payload: { email: string; password: string },
  from = uniqueAddress(),
  target: FastifyInstance = app,
) => target.inject({ method: 'POST', url: '/api/users/signin', payload, remoteAddress: from });

const invalidCredentials = { errors: [{ message: 'Invalid credentials' }] };

describe('POST /api/users/signin', () => {
  it('when the credentials match, then 200 with the user and a session cookie', async () => {
    const user = await signUpUser(app);

    const response = await signIn({ email: user.email, password });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: user.id, email: user.email });
    expect(sessionCookieOf(response)?.value).toBeTruthy();
  });

  it('when the email has other capitals and spaces, then it still signs in', async () => {
    const user = await signUpUser(app);

    const response = await signIn({ email: `  ${user.email.toUpperCase()} `, password });

    expect(response.statusCode).toBe(200);
    expect(response.json().email).toBe(user.email);
  });

  it('when the password is wrong, then 400 Invalid credentials and no cookie', async () => {
    const user = await signUpUser(app);

    const response = await signIn({ email: user.email, password: 'wrong password' });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(invalidCredentials);
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('when the email is unknown, then the same 400 Invalid credentials', async () => {
    const response = await signIn({ email: uniqueEmail('nobody'), password });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(invalidCredentials);
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('when the email is unknown or the password wrong, then argon2 verifies once either way', async () => {
    const user = await signUpUser(app);
    const stored = await auth.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();

    verifiedHashes.length = 0;
    await signIn({ email: user.email, password: 'wrong password' });
    expect(verifiedHashes).toEqual([stored.password_hash]);

    verifiedHashes.length = 0;
    await signIn({ email: uniqueEmail('nobody'), password: 'wrong password' });
    expect(verifiedHashes).toHaveLength(1);
    // The stand-in hash is an argon2id hash with exactly the costs of real ones.
    const costsOf = (hash: string) => hash.split('$').slice(1, 4).join('$');
    expect(costsOf(verifiedHashes[0]!)).toBe(costsOf(stored.password_hash));
    expect(costsOf(stored.password_hash)).toBe('argon2id$v=19$m=1024,t=2,p=1');
  });

  it('when the body is invalid, then 400 listing every bad field', async () => {
    const response = await signIn({ email: 'nope', password: '' });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'email',
      'password',
    ]);
  });
});

describe('sign-in rate limiting', () => {
  it('when one email fails 5 times, then the 6th attempt is 429 even with the right password', async () => {
    const user = await signUpUser(app);
    for (let i = 0; i < 5; i++) {
      expect((await signIn({ email: user.email, password: 'wrong password' })).statusCode).toBe(
        400,
      );
    }

    const response = await signIn({ email: user.email, password });

    expect(response.statusCode).toBe(429);
    expect(response.json()).toEqual({
      errors: [{ message: 'Too many failed sign-in attempts, try again later' }],
    });
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(900);
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('when one address fails 20 times across emails, then its next attempt is 429', async () => {
    const address = uniqueAddress();
    for (let i = 0; i < 20; i++) {
      const response = await signIn({ email: uniqueEmail('spray'), password }, address);
      expect(response.statusCode).toBe(400);
    }

    const blocked = await signIn({ email: uniqueEmail('spray'), password }, address);
    const elsewhere = await signIn({ email: uniqueEmail('spray'), password });

    expect(blocked.statusCode).toBe(429);
    expect(elsewhere.statusCode).toBe(400);
  });

  it('when one IPv6 client rotates addresses inside its /64, then they count as one address', async () => {
    // One subscriber line gets a whole /64: 2^64 addresses to spray from.
    const [a, b] = randomBytes(4).toString('hex').match(/.{4}/g)!;
    const prefix = `2001:db8:${a}:${b}`;
    for (let i = 1; i <= 20; i++) {
      const from = `${prefix}:${i.toString(16)}::${(i * 7).toString(16)}`;
      const response = await signIn({ email: uniqueEmail('spray'), password }, from);
      expect(response.statusCode, from).toBe(400);
    }

    const rotated = await signIn({ email: uniqueEmail('spray'), password }, `${prefix}::dead:beef`);
    const otherLine = await signIn(
      { email: uniqueEmail('spray'), password },
      `2001:db8:${a}:${(Number.parseInt(b!, 16) ^ 1).toString(16)}::1`,
    );

    expect(rotated.statusCode).toBe(429);
    expect(otherLine.statusCode).toBe(400);
  });

  it('when one IPv4 client is seen both plainly and IPv4-mapped, then it counts as one address', async () => {
    const address = uniqueAddress();
    for (let i = 0; i < 20; i++) {
      const from = i % 2 === 0 ? address : `::ffff:${address}`;
      expect((await signIn({ email: uniqueEmail('spray'), password }, from)).statusCode).toBe(400);
    }

    expect((await signIn({ email: uniqueEmail('spray'), password }, address)).statusCode).toBe(429);
    expect(
      (await signIn({ email: uniqueEmail('spray'), password }, `::FFFF:${address}`)).statusCode,
    ).toBe(429);
  });

  it('when a sign-in succeeds, then that email starts again from zero failures', async () => {
    const user = await signUpUser(app);
    for (let i = 0; i < 4; i++) await signIn({ email: user.email, password: 'wrong password' });
    expect((await signIn({ email: user.email, password })).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) {
      expect((await signIn({ email: user.email, password: 'wrong password' })).statusCode).toBe(
        400,
      );
    }
    expect((await signIn({ email: user.email, password })).statusCode).toBe(429);
  });

  it('when failures hit two replicas, then they count together', async () => {
    const replica = await startTestAuth({ environment: auth.environment });
    try {
      const user = await signUpUser(app);
      for (let i = 0; i < 5; i++) {
        const target = i % 2 === 0 ? app : replica.app;
        await signIn({ email: user.email, password: 'wrong password' }, uniqueAddress(), target);
      }

      const response = await signIn({ email: user.email, password }, uniqueAddress(), replica.app);

      expect(response.statusCode).toBe(429);
    } finally {
      await replica.close();
    }
  });

  it('when guesses arrive in parallel, then no more than the limit get checked', async () => {
    const user = await signUpUser(app);
    verifiedHashes.length = 0;

    const responses = await Promise.all(
      Array.from({ length: 12 }, () => signIn({ email: user.email, password: 'wrong password' })),
    );

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect(verifiedHashes).toHaveLength(5);
  });

  it('when the failure window has passed, then the email may try again', async () => {
    const user = await signUpUser(app);
    for (let i = 0; i < 5; i++) await signIn({ email: user.email, password: 'wrong password' });
    expect((await signIn({ email: user.email, password })).statusCode).toBe(429);

    await auth.db
      .updateTable('sign_in_failures')
      .set({ window_started_at: new Date(Date.now() - 901_000) })
      .where('key', '=', `email:${user.email}`)
      .execute();

    expect((await signIn({ email: user.email, password })).statusCode).toBe(200);
  });

  it('when one address floods sign-in, then this replica answers 429 in the error shape', async () => {
    const guarded = await startTestAuth({
      environment: auth.environment,
      env: { AUTH_REQUESTS_PER_MINUTE: '3' },
    });
    try {
      const address = uniqueAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await signIn({ email: uniqueEmail(), password }, address, guarded.app);
        statuses.push(response.statusCode);
        if (response.statusCode === 429) {
          expect(response.json()).toEqual({
            errors: [{ message: 'Too many requests, try again later' }],
          });
        }
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
    } finally {
      await guarded.close();
    }
  });

  it('when one IPv6 client floods sign-in from many addresses of its /64, then this replica answers 429', async () => {
    const guarded = await startTestAuth({
      environment: auth.environment,
      env: { AUTH_REQUESTS_PER_MINUTE: '3' },
    });
    try {
      const [a, b] = randomBytes(4).toString('hex').match(/.{4}/g)!;
      const statuses: number[] = [];
      for (let i = 1; i <= 4; i++) {
        const from = `2001:db8:${a}:${b}::${i}`;
        statuses.push(
          (await signIn({ email: uniqueEmail(), password }, from, guarded.app)).statusCode,
        );
      }
      expect(statuses).toEqual([400, 400, 400, 429]);
    } finally {
      await guarded.close();
    }
  });
});

describe('device cookies (lockout that cannot be turned against the owner)', () => {
  const deviceCookieOf = (response: { cookies: Array<{ name: string; value: string }> }) =>
    response.cookies.find((c) => c.name === 'device');
  const signInWith = (payload: { email: string; password: string }, device?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/users/signin',
      payload,
      remoteAddress: uniqueAddress(),
      ...(device ? { cookies: { device } } : {}),
    });

  it('when a browser signs in, then it gets an HttpOnly device cookie for /api/users', async () => {
    const user = await signUpUser(app);
    const response = await signIn({ email: user.email, password });
    const device = response.cookies.find((c) => c.name === 'device') as
      | { value: string; httpOnly?: boolean; path?: string; maxAge?: number }
      | undefined;
    expect(device).toMatchObject({ httpOnly: true, path: '/api/users' });
    expect(device!.maxAge).toBeGreaterThan(30 * 24 * 3600);
  });

  it('when strangers lock an account, then the owner’s known browser still signs in with the right password', async () => {
    const user = await signUpUser(app);
    const device = deviceCookieOf(await signIn({ email: user.email, password }))!.value;
    for (let i = 0; i < 8; i++) await signIn({ email: user.email, password: 'a wrong guess' });

    const stranger = await signIn({ email: user.email, password });
    expect(stranger.statusCode).toBe(429);
    const owner = await signInWith({ email: user.email, password }, device);
    expect(owner.statusCode).toBe(200);
    expect(sessionCookieOf(owner)?.value).toBeTruthy();
  });

  it('when the device cookie is forged, truncated or for another account, then it counts as a stranger', async () => {
    const user = await signUpUser(app);
    const other = await signUpUser(app);
    const device = deviceCookieOf(await signIn({ email: user.email, password }))!.value;
    const otherDevice = deviceCookieOf(await signIn({ email: other.email, password }))!.value;
    for (let i = 0; i < 6; i++) await signIn({ email: user.email, password: 'a wrong guess' });

    const [body, nonce, signature] = device.split('.') as [string, string, string];
    const forgedFor = Buffer.from(user.email).toString('base64url');
    for (const bad of [
      device.slice(0, -3),
      // The last character changed to one it is not (1 signature in 16 ends in 'A').
      `${body}.${nonce}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'Q' : 'A'}`,
      `${forgedFor}.${otherDevice.split('.')[1]}.${otherDevice.split('.')[2]}`,
      otherDevice,
      'garbage',
    ]) {
      expect((await signInWith({ email: user.email, password }, bad)).statusCode, bad).toBe(429);
    }
  });

  it('when a known device itself guesses too often, then it is locked like a stranger', async () => {
    const user = await signUpUser(app);
    const device = deviceCookieOf(await signIn({ email: user.email, password }))!.value;
    // Strangers lock the email first; the device has its own allowance (10).
    for (let i = 0; i < 6; i++) await signIn({ email: user.email, password: 'a wrong guess' });
    for (let i = 0; i < 10; i++) {
      expect(
        (await signInWith({ email: user.email, password: 'is it mine?' }, device)).statusCode,
      ).toBe(400);
    }
    expect((await signInWith({ email: user.email, password }, device)).statusCode).toBe(429);
  });

  const newPassword = 'a fresh long secret';
  /** Strangers' wrong guesses until the email is locked for every unknown browser. */
  const lockOutStrangers = async (email: string) => {
    for (let i = 0; i < 6; i++) await signIn({ email, password: 'a wrong guess' });
    expect((await signIn({ email, password: newPassword })).statusCode).toBe(429);
  };

  it('when the password is reset, then a device cookie from before counts as a stranger, while the resetting browser and its later sign-ins are known', async () => {
    const user = await signUpUser(app);
    const before = deviceCookieOf(await signIn({ email: user.email, password }))!.value;
    // The emailed link, made as requestPasswordReset makes it (only its hash is stored).
    const token = `reset-${uniqueEmail()}`;
    await auth.db
      .insertInto('email_tokens')
      .values({
        token_hash: hashToken(token),
        user_id: user.id,
        purpose: 'reset',
        expires_at: new Date(Date.now() + 60_000),
      })
      .execute();
    const reset = await app.inject({
      method: 'POST',
      url: '/api/users/password/reset',
      payload: { token, password: newPassword },
    });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({ id: user.id, email: user.email });
    // The browser that reset it proved the mailbox: it is known from the start.
    const resetter = deviceCookieOf(reset)?.value;
    expect(resetter).toBeTruthy();

    await lockOutStrangers(user.email);

    expect(
      (await signInWith({ email: user.email, password: newPassword }, before)).statusCode,
    ).toBe(429);
    const after = deviceCookieOf(
      await signInWith({ email: user.email, password: newPassword }, resetter),
    );
    expect(after?.value).toBeTruthy();
    expect(
      (await signInWith({ email: user.email, password: newPassword }, after!.value)).statusCode,
    ).toBe(200);
  });

  it('when the password is changed, then device cookies from before count as strangers and the changing browser gets a fresh one', async () => {
    const user = await signUpUser(app);
    const before = deviceCookieOf(await signIn({ email: user.email, password }))!.value;
    const changed = await app.inject({
      method: 'PUT',
      url: '/api/users/password',
      payload: { currentPassword: password, newPassword },
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(changed.statusCode).toBe(200);

    await lockOutStrangers(user.email);

    expect(
      (await signInWith({ email: user.email, password: newPassword }, before)).statusCode,
    ).toBe(429);
    const fresh = deviceCookieOf(changed)?.value;
    expect(fresh).toBeTruthy();
    expect((await signInWith({ email: user.email, password: newPassword }, fresh)).statusCode).toBe(
      200,
    );
  });

  it('when a browser still has a device cookie of the format before password binding, then it counts as a stranger, not an error', async () => {
    const user = await signUpUser(app);
    // Signed as the previous release signed them: valid then, for this very email.
    const key = createHmac('sha256', auth.privateKeyPem).update('gittix device cookie').digest();
    const body = `${Buffer.from(user.email).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
    const legacy = `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;

    await lockOutStrangers(user.email);

    expect((await signInWith({ email: user.email, password }, legacy)).statusCode).toBe(429);
  });

  it('when unknown clients fail more than the global limit, then every stranger gets 429 and a known device still gets in', async () => {
    const guarded = await startTestAuth({ env: { SIGNIN_MAX_FAILURES_GLOBAL: '3' } });
    try {
      const tryIn = (email: string, secret: string, device?: string) =>
        guarded.app.inject({
          method: 'POST',
          url: '/api/users/signin',
          payload: { email, password: secret },
          remoteAddress: uniqueAddress(),
          ...(device ? { cookies: { device } } : {}),
        });
      const owner = await signUpUser(guarded.app);
      const device = deviceCookieOf(await tryIn(owner.email, password))!.value;
      for (let i = 0; i < 3; i++) {
        expect((await tryIn(uniqueEmail('stuffed'), 'a wrong guess')).statusCode).toBe(400);
      }
      expect((await tryIn(uniqueEmail('stuffed'), 'a wrong guess')).statusCode).toBe(429);
      expect((await tryIn(owner.email, password)).statusCode).toBe(429);
      expect((await tryIn(owner.email, password, device)).statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
