import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eSystem, useSharedSystem } from '../harness/shared.js';
import {
  desktop,
  horizontalOverflow,
  launchBrowser,
  openPage,
  phone,
  screenshot,
} from './browser.js';
import { PASSWORD, signUp, uniqueEmail } from './flows.js';

let system: E2eSystem;
let browser: Browser;

// No timeout of its own: the e2e-shared project's hookTimeout covers the shared system's start.
beforeAll(async () => {
  [system, browser] = await Promise.all([useSharedSystem(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

/** The first link of an email that leads to `path`, as a mail client would follow it. */
function linkTo(html: string, path: string): string {
  const link = [...html.matchAll(/href="([^"]*)"/g)]
    .map((m) => m[1]!.replaceAll('&amp;', '&'))
    .find((href) => new URL(href).pathname === path);
  if (!link) throw new Error(`no ${path} link in the email`);
  return link;
}

async function sessionTokenOf(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'session');
  if (!cookie) throw new Error('no session cookie');
  return cookie.value;
}

/** What tickets, orders and payments answer a token: 401 each once the session ended. */
async function statusesFor(token: string) {
  const call = async (method: string, path: string, body?: object) =>
    (
      await fetch(`${system.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    ).status;
  return [
    await call('POST', '/api/tickets', {}),
    await call('GET', '/api/orders'),
    await call('GET', '/api/payments'),
  ];
}

async function signIn(page: Page, email: string, password: string, next = '') {
  await page.goto(`${system.baseUrl}/auth/signin${next}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('accounts in Chromium through the gateway', () => {
  it('when a user verifies, forgets and resets the password, then the old session is dead everywhere, and the browser that reset it gets in while a stranger (or a device cookie from before) is locked out', async () => {
    const { baseUrl } = system;
    const email = uniqueEmail('owner');
    const newPassword = 'a fresh and long password';

    // Sign up; the account page says the email is not verified yet.
    const owner = await openPage(browser, desktop);
    await signUp(owner, baseUrl, email);
    await owner.getByRole('link', { name: 'Account' }).click();
    await owner.waitForURL(/\/account$/);
    await owner.getByText('Not verified yet').waitFor();
    await screenshot(owner, 'desktop-account-unverified');

    // The verification link from the mail catcher verifies it.
    const verification = await system.mail.waitFor(email, /^Verify your email$/);
    await owner.goto(linkTo(verification.html, '/auth/verify'));
    await owner.getByText('Email verified').waitFor();
    await screenshot(owner, 'desktop-verify-done');
    await owner.goto(`${baseUrl}/account`);
    await owner.getByText('Verified', { exact: true }).waitFor();
    await screenshot(owner, 'desktop-account-verified');
    const oldToken = await sessionTokenOf(owner);
    expect(await statusesFor(oldToken)).toEqual([400, 200, 200]);

    // Someone (the owner, elsewhere) forgets the password and resets it from the email.
    const elsewhere = await openPage(browser, desktop);
    await elsewhere.goto(`${baseUrl}/auth/signin`);
    await elsewhere.getByRole('link', { name: 'Forgot password?' }).click();
    await elsewhere.waitForURL(/\/auth\/forgot$/);
    await elsewhere.getByLabel('Email').fill(email);
    await elsewhere.getByRole('button', { name: 'Send reset link' }).click();
    await elsewhere.getByText('a reset link is on its way').waitFor();
    await screenshot(elsewhere, 'desktop-forgot-sent');
    const resetEmail = await system.mail.waitFor(email, /^Reset your password$/);
    await elsewhere.goto(linkTo(resetEmail.html, '/auth/reset'));
    await elsewhere.getByLabel('New password').fill('short');
    await elsewhere.getByRole('button', { name: 'Reset password' }).click();
    await elsewhere.getByText('Password must be between 8 and 128 characters').waitFor();
    await screenshot(elsewhere, 'desktop-reset-weak');
    await elsewhere.getByLabel('New password').fill(newPassword);
    await elsewhere.getByRole('button', { name: 'Reset password' }).click();
    await elsewhere.getByText('Password reset.').waitFor();
    await screenshot(elsewhere, 'desktop-reset-done');

    // The session taken before the reset is dead on every service within 2 s.
    const resetAt = Date.now();
    await expect
      .poll(() => statusesFor(oldToken), { timeout: 2_000, interval: 50 })
      .toEqual([401, 401, 401]);
    expect(Date.now() - resetAt).toBeLessThan(2_500);
    await owner.goto(`${baseUrl}/account`);
    await owner.waitForURL(/\/auth\/signin\?next=%2Faccount$/);

    // A stranger guesses until locked out; even the right password is refused then.
    const stranger = await openPage(browser, desktop);
    for (let i = 0; i < 6; i++) {
      await signIn(stranger, email, `wrong guess ${i}`);
      await stranger.getByText(/Invalid credentials|Too many/).waitFor();
    }
    await signIn(stranger, email, newPassword);
    await stranger.getByText('Too many failed sign-in attempts').waitFor();
    await screenshot(stranger, 'desktop-signin-locked-out');

    // A device cookie from before the reset vouches no more (it could be a thief's)...
    await signIn(owner, email, newPassword);
    await owner.getByText('Too many failed sign-in attempts').waitFor();
    // ...but the browser that reset the password proved the mailbox: it gets in.
    await signIn(elsewhere, email, newPassword, '?next=%2Faccount');
    await elsewhere.waitForURL(/\/account$/);
    await elsewhere.getByText('Verified', { exact: true }).waitFor();
  }, 180_000);

  it('when next after sign-in points off the site, then sign-in lands on this site', async () => {
    const { baseUrl } = system;
    const page = await openPage(browser, desktop);
    const email = uniqueEmail('next');
    await signUp(page, baseUrl, email);
    const origin = new URL(baseUrl).origin;
    for (const hostile of [
      '/%09/evil.example',
      '//evil.example',
      '/%5C/evil.example',
      '/%5Cevil.example',
      'https:evil.example',
      'https://evil.example/',
      '/%0A/evil.example',
    ]) {
      await signIn(page, email, PASSWORD, `?next=${hostile}`);
      await page.waitForURL((url) => url.pathname !== '/auth/signin');
      expect(new URL(page.url()).origin, hostile).toBe(origin);
      expect(new URL(page.url()).pathname, hostile).toBe('/');
    }
    await signIn(page, email, PASSWORD, `?next=${encodeURIComponent('/orders')}`);
    await page.waitForURL(`${baseUrl}/orders`);
    // Still signed in, the sign-in page says as whom above its form, and leads on.
    await page.goto(`${baseUrl}/auth/signin?next=${encodeURIComponent('/orders')}`);
    await page.getByText(`This browser is signed in as ${email}.`).waitFor();
    await page.getByLabel('Password').waitFor();
    await screenshot(page, 'desktop-signin-signed-in');
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL(`${baseUrl}/orders`);
  }, 120_000);

  it('when a signed-in user opens /auth/signout, then only the button signs them out, and the account page changes the password', async () => {
    const { baseUrl } = system;
    const page = await openPage(browser, phone);
    const email = uniqueEmail('phone-account');
    await signUp(page, baseUrl, email);

    await page.goto(`${baseUrl}/account`);
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('another long password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Invalid credentials').waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await screenshot(page, 'phone-account');
    expect(await horizontalOverflow(page)).toBe(0);
    await page.goto(`${baseUrl}/account`);
    await page.getByRole('heading', { name: 'Account' }).waitFor();

    // A GET (a link, a prefetch) signs nobody out.
    const viaGet = await fetch(`${baseUrl}/auth/signout`, {
      headers: { cookie: `session=${await sessionTokenOf(page)}` },
    });
    expect(viaGet.status).toBe(200);
    await page.goto(`${baseUrl}/auth/signout`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await screenshot(page, 'phone-signout');
    expect(await horizontalOverflow(page)).toBe(0);
    await page.goto(`${baseUrl}/`);
    await page.getByRole('banner').getByText(email).waitFor();

    const token = await sessionTokenOf(page);
    await page.goto(`${baseUrl}/auth/signout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await expect
      .poll(() => statusesFor(token), { timeout: 2_000, interval: 50 })
      .toEqual([401, 401, 401]);

    // Back on the page once signed out: nothing to sign out of, and it says so.
    await page.goto(`${baseUrl}/auth/signout`);
    await page.getByText("You're not signed in on this browser").waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  }, 120_000);
});
