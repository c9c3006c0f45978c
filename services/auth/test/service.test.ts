import { capturingLogger } from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../src/passwords.js';
import {
  cheapPasswordCost,
  password,
  startTestAuth,
  type TestAuth,
  uniqueEmail,
} from './auth-app.js';

let auth: TestAuth;
let app: FastifyInstance;

beforeAll(async () => {
  auth = await startTestAuth();
  app = auth.app;
});

afterAll(() => auth?.close());

describe('the shared HTTP behaviour, through the auth service', () => {
  it('when a route is unknown, then 404 in the error shape', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/users/nope' });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('when the JSON is malformed, then 400 saying so', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'Request body is not valid JSON' }] });
  });

  it('when valid JSON carries a prototype key, then 400 names the key and nothing is stored', async () => {
    const email = uniqueEmail('proto');
    for (const payload of [
      `{"email":"${email}","password":"${password}","__proto__":{"admin":true}}`,
      `{"email":"${email}","password":"${password}","constructor":{"prototype":{"admin":true}}}`,
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/users/signup',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        errors: [
          { message: 'Request body must not contain a "__proto__" or "constructor.prototype" key' },
        ],
      });
    }
    const signin = await app.inject({
      method: 'POST',
      url: '/api/users/signin',
      payload: { email, password },
    });
    expect(signin.statusCode).toBe(400);
  });

  it('when a new password holds half a character, then 400 on password and no account is made', async () => {
    const email = uniqueEmail('surrogate');
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      payload: { email, password: 'correct horse \ud800' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      {
        field: 'password',
        message: 'Password must not contain a broken character (half of a surrogate pair)',
      },
    ]);
    const signin = await app.inject({
      method: 'POST',
      url: '/api/users/signin',
      payload: { email, password: 'correct horse \ufffd' },
    });
    expect(signin.statusCode).toBe(400);
    expect(signin.json()).toEqual({ errors: [{ message: 'Invalid credentials' }] });
  });

  it('when the JSON body is empty, then 400 saying so', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: 'Request body is empty but content-type is application/json' }],
    });
  });

  it('when one field fails two checks with the same message, then the message is given once', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      payload: { email: 123, password: ['a'] },
    });
    expect(response.statusCode).toBe(400);
    const messages = (response.json() as { errors: { message: string; field?: string }[] }).errors;
    expect(messages.filter((e) => e.field === 'password')).toHaveLength(1);
    expect(new Set(messages.map((e) => `${e.field}:${e.message}`)).size).toBe(messages.length);
  });

  it('when the body is text/plain, then 415', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      headers: { 'content-type': 'text/plain' },
      payload: 'email=a@b.co',
    });

    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      errors: [{ message: 'Unsupported content type, send application/json' }],
    });
  });

  it('when the body is over the limit, then 413', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/users/signup',
      payload: { email: uniqueEmail(), password: 'x'.repeat(200 * 1024) },
    });

    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ errors: [{ message: 'Request body is too large' }] });
  });

  it('when something unexpected throws, then 500 with no internals, and it is logged', async () => {
    const { logger, lines } = capturingLogger();
    const failing = createPasswordHasher(cheapPasswordCost);
    failing.hash = async () => {
      throw new Error('argon2 exploded at 0xdeadbeef');
    };
    const broken = await startTestAuth({
      environment: auth.environment,
      logger,
      passwords: failing,
    });
    try {
      const response = await broken.app.inject({
        method: 'POST',
        url: '/api/users/signup',
        payload: { email: uniqueEmail(), password },
      });

      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ errors: [{ message: 'Something went wrong' }] });
      expect(response.body).not.toContain('0xdeadbeef');
      const logged = lines.find((line) => line.msg === 'unhandled error');
      expect(logged).toMatchObject({
        level: 50,
        err: { message: 'argon2 exploded at 0xdeadbeef' },
      });
    } finally {
      await broken.close();
    }
  });

  it('when a request carries x-request-id, then the response echoes it', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/users/currentuser',
      headers: { 'x-request-id': 'req-abc.123' },
    });

    expect(response.headers['x-request-id']).toBe('req-abc.123');
  });
});

describe('health and documentation', () => {
  it('when alive, then /healthz is 200', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });

    expect(response.statusCode).toBe(200);
  });

  it('when the database answers, then /readyz is 200 with the database up', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { database: 'up', nats: 'up' } });
  });

  it('when the database is gone, then /readyz is 503 naming it', async () => {
    const orphan = await startTestAuth();
    await orphan.environment.close(); // drops its database under it
    try {
      const response = await orphan.app.inject({ method: 'GET', url: '/readyz' });

      expect(response.statusCode).toBe(503);
      expect(response.json().errors).toEqual([{ message: 'Not ready: database unavailable' }]);
    } finally {
      await orphan.stop();
    }
  });

  it('when the OpenAPI document is fetched, then it describes every Users route', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/users/openapi.json' });

    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/users/.well-known/jwks.json',
      '/api/users/currentuser',
      '/api/users/password',
      '/api/users/password/forgot',
      '/api/users/password/reset',
      '/api/users/signin',
      '/api/users/signout',
      '/api/users/signup',
      '/api/users/verify',
      '/api/users/verify/resend',
    ]);
    const signupBody =
      document.paths['/api/users/signup'].post.requestBody.content['application/json'].schema;
    expect(signupBody.properties.email).toMatchObject({ type: 'string', format: 'email' });
    expect(signupBody.properties.password).toMatchObject({ minLength: 8, maxLength: 128 });
  });
});
