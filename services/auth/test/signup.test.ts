import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  password,
  sessionCookieOf,
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

const signUp = (payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/users/signup', payload: payload as object });

describe('POST /api/users/signup', () => {
  it('when the email and password are valid, then 201 with the user and a session cookie', async () => {
    const email = uniqueEmail();
    const response = await signUp({ email, password });

    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({ id: expect.any(String), email });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const cookie = sessionCookieOf(response);
    expect(cookie?.value).toBeTruthy();
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('when the email has spaces and capitals, then it is stored trimmed and lower-cased', async () => {
    const email = uniqueEmail('Mixed.Case');
    const response = await signUp({ email: `  ${email.toUpperCase()}  `, password });

    expect(response.statusCode).toBe(201);
    expect(response.json().email).toBe(email.toLowerCase());
    const row = await auth.db
      .selectFrom('users')
      .select('email')
      .where('id', '=', response.json().id)
      .executeTakeFirstOrThrow();
    expect(row.email).toBe(email.toLowerCase());
  });

  it('when a user signs up, then only an argon2id hash of the password is stored', async () => {
    const response = await signUp({ email: uniqueEmail(), password });

    const row = await auth.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', response.json().id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(password);
  });

  it('when the email is not an email, then 400 naming the email field', async () => {
    const response = await signUp({ email: 'not-an-email', password });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: 'Email must be a valid email address', field: 'email' }],
    });
  });

  it.each([
    ['7 characters', 'x'.repeat(7)],
    ['129 characters', 'x'.repeat(129)],
  ])('when the password is %s, then 400 naming the password field', async (_label, badPassword) => {
    const response = await signUp({ email: uniqueEmail(), password: badPassword });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      errors: [{ message: 'Password must be between 8 and 128 characters', field: 'password' }],
    });
  });

  it('when the password is exactly 8 or 128 characters, then it is accepted', async () => {
    expect((await signUp({ email: uniqueEmail(), password: 'x'.repeat(8) })).statusCode).toBe(201);
    expect((await signUp({ email: uniqueEmail(), password: 'x'.repeat(128) })).statusCode).toBe(
      201,
    );
  });

  it('when both fields are bad, then every bad field is listed at once', async () => {
    const response = await signUp({ email: 'nope', password: 'short' });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { message: 'Email must be a valid email address', field: 'email' },
      { message: 'Password must be between 8 and 128 characters', field: 'password' },
    ]);
  });

  it('when the body is empty JSON, then both missing fields are listed', async () => {
    const response = await signUp({});

    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'email',
      'password',
    ]);
  });

  it('when the email is taken, then 400 Email in use', async () => {
    const email = uniqueEmail();
    expect((await signUp({ email, password })).statusCode).toBe(201);

    const response = await signUp({ email, password });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
    expect(sessionCookieOf(response)).toBeUndefined();
  });

  it('when the email is taken with other capitals and spaces, then 400 Email in use', async () => {
    const email = uniqueEmail();
    await signUp({ email, password });

    const response = await signUp({ email: ` ${email.toUpperCase()}`, password });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].message).toBe('Email in use');
  });

  it('when two sign-ups race for one email, then exactly one account is created', async () => {
    const email = uniqueEmail('race');
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => signUp({ email, password })),
    );

    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 400, 400, 400, 400]);
    const rows = await auth.db.selectFrom('users').where('email', '=', email).selectAll().execute();
    expect(rows).toHaveLength(1);
  });
});
