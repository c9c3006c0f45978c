import { createPrivateKey, randomUUID } from 'node:crypto';
import { createSessionVerifier, SESSION_AUDIENCE, SESSION_ISSUER } from '@gittix/common';
import { createTestSessionKeys } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionSigner } from '../src/sessions.js';
import { password, sessionCookieOf, signUpUser, startTestAuth, type TestAuth } from './auth-app.js';

let auth: TestAuth;
let app: FastifyInstance;

beforeAll(async () => {
  auth = await startTestAuth();
  app = auth.app;
});

afterAll(() => auth?.close());

const currentUser = (headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: '/api/users/currentuser', headers });

/** A token signed with this app's own key but with claims chosen by the test. */
function signWithAppKey(claims: { sub: string; email: string }, expiresAt: number) {
  return new SignJWT({ email: claims.email })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setSubject(claims.sub)
    .setIssuer(SESSION_ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setIssuedAt(expiresAt - 60)
    .setExpirationTime(expiresAt)
    .sign(createPrivateKey(auth.privateKeyPem));
}

describe('session cookie', () => {
  it('when a user signs up, then the cookie is HttpOnly, SameSite=Lax, Path=/ and lives for the TTL', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      payload: { email: `cookie-${Date.now()}@example.com`, password },
    });

    const cookie = sessionCookieOf(response);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 3600 });
    expect(cookie?.secure).toBeUndefined();
    const raw = [response.headers['set-cookie']].flat().find((c) => c?.startsWith('session='));
    expect(raw).toMatch(/^session=[^;]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('when cookies are configured secure, then the cookie carries Secure', async () => {
    const secure = await startTestAuth({
      environment: auth.environment,
      env: { COOKIE_SECURE: 'true' },
    });
    try {
      const response = await secure.app.inject({
        method: 'POST',
        url: '/api/users/signup',
        payload: { email: `secure-${Date.now()}@example.com`, password },
      });

      expect(sessionCookieOf(response)?.secure).toBe(true);
    } finally {
      await secure.close();
    }
  });

  it('when a session is issued, then its claims are those every service verifies', async () => {
    const user = await signUpUser(app);

    const claims = decodeJwt(user.token);
    expect(decodeProtectedHeader(user.token)).toMatchObject({
      alg: 'EdDSA',
      kid: expect.any(String),
    });
    expect(claims).toMatchObject({
      sub: user.id,
      email: user.email,
      iss: SESSION_ISSUER,
      aud: SESSION_AUDIENCE,
    });
    expect(claims.exp! - claims.iat!).toBeGreaterThanOrEqual(3599);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(3600);
    // The token ends no later than its session row: a revocation, which verifiers keep
    // until the row's end, always outlives the token it revokes.
    const row = await auth.db
      .selectFrom('sessions')
      .select('expires_at')
      .where('id', '=', claims.sid as string)
      .executeTakeFirstOrThrow();
    expect(claims.exp! * 1000).toBeLessThanOrEqual(row.expires_at.getTime());
    expect(row.expires_at.getTime() - claims.exp! * 1000).toBeLessThan(1000);
  });
});

describe('GET /api/users/currentuser', () => {
  it('when no session is sent, then 200 with currentUser null', async () => {
    const response = await currentUser();

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ currentUser: null });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('when the session cookie is sent, then 200 with the user', async () => {
    const user = await signUpUser(app);

    const response = await currentUser({ cookie: `session=${user.token}` });

    expect(response.json()).toEqual({
      currentUser: { id: user.id, email: user.email, emailVerified: false },
    });
  });

  it('when a Bearer token is sent, then 200 with the user', async () => {
    const user = await signUpUser(app);

    const response = await currentUser({ authorization: `Bearer ${user.token}` });

    expect(response.json()).toEqual({
      currentUser: { id: user.id, email: user.email, emailVerified: false },
    });
  });

  it('when a Bearer token and a cookie disagree, then the Bearer token wins', async () => {
    const cookieUser = await signUpUser(app);
    const bearerUser = await signUpUser(app);

    const response = await currentUser({
      cookie: `session=${cookieUser.token}`,
      authorization: `Bearer ${bearerUser.token}`,
    });

    expect(response.json().currentUser.id).toBe(bearerUser.id);
  });

  it('when the token was tampered with, then 200 signed out, never 401', async () => {
    const user = await signUpUser(app);
    const [header, , signature] = user.token.split('.');
    const forgedClaims = { ...decodeJwt(user.token), email: 'admin@example.com' };
    const payload = Buffer.from(JSON.stringify(forgedClaims)).toString('base64url');

    const response = await currentUser({ cookie: `session=${header}.${payload}.${signature}` });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ currentUser: null });
  });

  it('when the token has expired, then signed out', async () => {
    const user = await signUpUser(app);
    const expired = await signWithAppKey(
      { sub: user.id, email: user.email },
      Math.floor(Date.now() / 1000) - 10,
    );

    const response = await currentUser({ cookie: `session=${expired}` });

    expect(response.json()).toEqual({ currentUser: null });
  });

  it('when the token says alg none, then signed out', async () => {
    const user = await signUpUser(app);
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(decodeJwt(user.token))}.`;

    const response = await currentUser({ authorization: `Bearer ${unsigned}` });

    expect(response.json()).toEqual({ currentUser: null });
  });

  it('when the token is signed by another key, then signed out', async () => {
    const user = await signUpUser(app);
    const otherKeys = await createTestSessionKeys();
    const foreign = await otherKeys.sign({ id: user.id, email: user.email });

    const response = await currentUser({ cookie: `session=${foreign}` });

    expect(response.json()).toEqual({ currentUser: null });
  });

  it('when the token is garbage, then signed out', async () => {
    const response = await currentUser({ cookie: 'session=not.a.jwt' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ currentUser: null });
  });
});

describe('POST /api/users/signout', () => {
  it('when signed in, then 200 {} and the cookie is cleared', async () => {
    const user = await signUpUser(app);

    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signout',
      headers: { cookie: `session=${user.token}` },
    });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({});
    const cookie = sessionCookieOf(response);
    expect(cookie?.value).toBe('');
    expect(cookie).toMatchObject({ path: '/', httpOnly: true, sameSite: 'Lax' });
    expect(cookie?.expires?.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('when not signed in, then still 200 {}', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/users/signout' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({});
  });
});

describe('GET /api/users/.well-known/jwks.json', () => {
  it('when fetched, then it lists the public key with its kid and no private part', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/users/.well-known/jwks.json' });

    expect(response.statusCode).toBe(200);
    const { keys } = response.json();
    expect(keys).toEqual([
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: expect.any(String),
        kid: expect.any(String),
        alg: 'EdDSA',
        use: 'sig',
      },
    ]);
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('when another service verifies through the JWKS URL, then auth sessions check out', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening on a port');
    const verify = createSessionVerifier({
      jwksUrl: `http://127.0.0.1:${address.port}/api/users/.well-known/jwks.json`,
    });
    const user = await signUpUser(app);
    const foreign = await (await createTestSessionKeys()).sign({ id: user.id, email: user.email });

    expect(await verify(user.token)).toMatchObject({ id: user.id, email: user.email });
    expect(await verify(foreign)).toBeNull();
  });

  it('when the key is the same, then sessions from another replica are accepted', async () => {
    const sameKey = await createSessionSigner({
      privateKeyPem: auth.privateKeyPem,
      ttlSeconds: 60,
    });
    const user = await signUpUser(app);
    const token = await sameKey.sign({ id: user.id, email: user.email }, randomUUID());

    const response = await currentUser({ cookie: `session=${token}` });

    expect(response.json().currentUser).toEqual({
      id: user.id,
      email: user.email,
      emailVerified: false,
    });
  });
});
