import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../src/passwords.js';
import {
  cheapPasswordCost,
  emailedToken,
  startTestAuth,
  type TestAuth,
  uniqueEmail,
} from './auth-app.js';

/**
 * A reset hashes the new password with argon2 (tens of milliseconds and 64 MiB in
 * production). A link that cannot work must cost nothing of it: anyone may send
 * forged tokens, and each one was a full hash before the answer.
 */
describe('password reset with a link that cannot work', () => {
  let auth: TestAuth;
  let hashes = 0;

  beforeAll(async () => {
    const real = createPasswordHasher(cheapPasswordCost);
    const counting: PasswordHasher = {
      ...real,
      hash: (password) => {
        hashes += 1;
        return real.hash(password);
      },
    };
    auth = await startTestAuth({ passwords: counting });
  });
  afterAll(() => auth?.close());

  const post = (url: string, body: object) =>
    auth.app.inject({ method: 'POST', url, payload: body });

  it('when the token is unknown, then 400 and no password is hashed', async () => {
    const before = hashes;
    const response = await post('/api/users/password/reset', {
      token: randomBytes(32).toString('base64url'),
      password: 'a brand new secret',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].message).toBe('Reset link is invalid or has expired');
    expect(hashes).toBe(before);
  });

  it('when the token was used already, then 400 and no password is hashed; the first use hashed once', async () => {
    const email = uniqueEmail('reset-cost');
    const signUp = await post('/api/users/signup', { email, password: 'correct horse battery' });
    expect(signUp.statusCode).toBe(201);
    const userId = signUp.json().id as string;
    await post('/api/users/password/forgot', { email });
    const token = await emailedToken(auth, 'user.password_reset_requested', userId);

    const before = hashes;
    const first = await post('/api/users/password/reset', {
      token,
      password: 'a brand new secret',
    });
    expect(first.statusCode).toBe(200);
    expect(hashes).toBe(before + 1);
    const again = await post('/api/users/password/reset', { token, password: 'yet another one' });
    expect(again.statusCode).toBe(400);
    expect(hashes).toBe(before + 1);
  });
});
