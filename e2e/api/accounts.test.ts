import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/client.js';
import { type E2eSystem, useSharedSystem } from '../harness/shared.js';

/** The token of the first link in an email to `path`. */
const tokenOfLink = (html: string, path: string) => {
  const link = [...html.matchAll(/href="([^"]*)"/g)]
    .map((m) => m[1]!.replaceAll('&amp;', '&'))
    .find((href) => new URL(href).pathname === path);
  if (!link) throw new Error(`no ${path} link in the email`);
  return new URL(link).searchParams.get('token')!;
};

describe('accounts through the gateway: verification, reset, and sessions that end everywhere', () => {
  let system: E2eSystem;

  beforeAll(async () => {
    system = await useSharedSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** What each service's protected route says to `headers`: 401 once the session ended. */
  async function protectedStatuses(headers: Record<string, string>) {
    const call = async (method: string, path: string, body?: object) =>
      (
        await fetch(`${system.baseUrl}${path}`, {
          method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        })
      ).status;
    return {
      // An empty body: 400 when signed in (nothing is created), 401 when not.
      tickets: await call('POST', '/api/tickets', {}),
      orders: await call('GET', '/api/orders'),
      payments: await call('GET', '/api/payments'),
    };
  }
  const signedIn = { tickets: 400, orders: 200, payments: 200 };
  const signedOut = { tickets: 401, orders: 401, payments: 401 };

  async function expectEndedWithin2s(token: string) {
    const started = Date.now();
    const ways: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { cookie: `session=${token}` },
    ];
    for (const headers of ways) {
      await waitFor(
        async () => JSON.stringify(await protectedStatuses(headers)) === JSON.stringify(signedOut),
        { timeoutMs: 2_000, intervalMs: 50, message: 'the session to end on every service' },
      );
    }
    expect(Date.now() - started).toBeLessThan(4_000);
  }

  it('when a user signs up, then the emailed link verifies the email once', async () => {
    const client = new ApiClient(system.baseUrl);
    const user = await client.signUp('verify');
    expect((await client.get('/api/users/currentuser')).body).toEqual({
      currentUser: { ...user, emailVerified: false },
    });
    const email = await system.mail.waitFor(user.email, /^Verify your email$/);
    const token = tokenOfLink(email.html, '/auth/verify');

    const verified = await client.post('/api/users/verify', { token });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ ...user, emailVerified: true });
    expect((await client.get('/api/users/currentuser')).body).toEqual({
      currentUser: { ...user, emailVerified: true },
    });
    expect((await client.post('/api/users/verify', { token })).status).toBe(400);
  });

  it('when a user signs out, then the copied token is 401 on tickets, orders and payments within 2 s', async () => {
    const client = new ApiClient(system.baseUrl);
    await client.signUp('signout');
    const token = client.cookieHeader.slice('session='.length);
    expect(await protectedStatuses({ authorization: `Bearer ${token}` })).toEqual(signedIn);

    expect((await client.post('/api/users/signout')).status).toBe(200);
    await expectEndedWithin2s(token);
  });

  it('when the password is reset from the emailed link, then every older session is dead everywhere within 2 s', async () => {
    const laptop = new ApiClient(system.baseUrl);
    const user = await laptop.signUp('reset');
    const phone = new ApiClient(system.baseUrl);
    await phone.post('/api/users/signin', { email: user.email, password: 'correct horse battery' });
    const tokens = [laptop, phone].map((c) => c.cookieHeader.slice('session='.length));
    expect(await protectedStatuses({ cookie: laptop.cookieHeader })).toEqual(signedIn);

    const stranger = new ApiClient(system.baseUrl);
    expect((await stranger.post('/api/users/password/forgot', { email: user.email })).status).toBe(
      202,
    );
    const email = await system.mail.waitFor(user.email, /^Reset your password$/);
    const token = tokenOfLink(email.html, '/auth/reset');
    const reset = await stranger.post('/api/users/password/reset', {
      token,
      password: 'a new and long password',
    });
    expect(reset.status).toBe(200);

    for (const old of tokens) await expectEndedWithin2s(old);
    const again = new ApiClient(system.baseUrl);
    const back = await again.post('/api/users/signin', {
      email: user.email,
      password: 'a new and long password',
    });
    expect(back.status).toBe(200);
    expect(await protectedStatuses({ cookie: again.cookieHeader })).toEqual(signedIn);
  });

  it('when someone floods forgot-password for one email, then 429 and at most the allowed emails arrive', async () => {
    const client = new ApiClient(system.baseUrl);
    const user = await client.signUp('flood');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (await client.post('/api/users/password/forgot', { email: user.email })).status,
      );
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    await system.mail.waitFor(user.email, /^Reset your password$/);
    await waitFor(
      async () =>
        (await system.mail.emails()).filter(
          (e) => e.to.some((t) => t.address === user.email) && /^Reset/.test(e.subject),
        ).length === 5,
      { timeoutMs: 15_000, message: 'the five allowed reset emails' },
    );
  });
});
