import { randomBytes } from 'node:crypto';
import { waitFor } from '@gittix/common/testing';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const PASSWORD = 'correct horse battery';

export function uniqueEmail(role: string): string {
  return `${role}-${randomBytes(4).toString('hex')}@example.test`;
}

export function uniqueTitle(what: string): string {
  return `${what} ${randomBytes(3).toString('hex')}`;
}

/** Signs up through the form and waits until the header greets the new user. */
export async function signUp(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.goto(`${baseUrl}/auth/signup`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('banner').getByText(email).waitFor();
}

/** Lists a ticket through the form; returns the ticket page's URL. */
export async function listTicket(page: Page, baseUrl: string, title: string, price: string) {
  await page.goto(`${baseUrl}/tickets/new`);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Price').fill(price);
  await page.getByRole('button', { name: 'Create ticket' }).click();
  await page.waitForURL(/\/tickets\/[^/]+$/);
  await page.getByRole('heading', { name: title }).waitFor();
  return page.url();
}

/** The countdown's text now, and a check that it changes within a few seconds. */
export async function expectCountdownToMove(page: Page): Promise<void> {
  const timer = page.getByRole('timer');
  const first = await timer.textContent();
  expect(first).toMatch(/^\d{2}:\d{2}$/);
  await expect.poll(() => timer.textContent(), { timeout: 5_000 }).not.toBe(first);
}

/** A session for API calls made straight from the test (seeding data the UI would be slow to make). */
export async function apiSession(baseUrl: string, email: string) {
  const signUp = await fetch(`${baseUrl}/api/users/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(signUp.status).toBe(201);
  const cookie = signUp.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return {
    async createTicket(title: string, price: number): Promise<{ id: string }> {
      const response = await fetch(`${baseUrl}/api/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ title, price }),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: string };
    },
    /** Orders a ticket and pays for it with the sandbox's good card; returns the order id. */
    async buy(ticketId: string): Promise<string> {
      const post = (path: string, body: unknown) =>
        fetch(`${baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie },
          body: JSON.stringify(body),
        });
      // The orders service learns of a new ticket through an event: a moment later.
      const ordered = await waitFor(
        async () => {
          const response = await post('/api/orders', { ticketId });
          return response.status === 404 ? undefined : response;
        },
        { timeoutMs: 10_000, intervalMs: 200, message: 'the orders service to know the ticket' },
      );
      expect(ordered.status, await ordered.clone().text()).toBe(201);
      const { id } = (await ordered.json()) as { id: string };
      // …and payments of a new order the same way.
      const paid = await waitFor(
        async () => {
          const response = await post('/api/payments', { orderId: id, token: 'tok_visa' });
          return response.status === 404 ? undefined : response;
        },
        { timeoutMs: 10_000, intervalMs: 200, message: 'the payments service to know the order' },
      );
      expect(paid.status, await paid.clone().text()).toBe(201);
      return id;
    },
  };
}
