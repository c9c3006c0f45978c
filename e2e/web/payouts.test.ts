import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  desktop,
  horizontalOverflow,
  launchBrowser,
  openPage,
  phone,
  screenshot,
} from './browser.js';
import { apiSession, signUp, uniqueEmail, uniqueTitle } from './flows.js';
import { startWebSystem, type WebSystem } from './system.js';

let system: WebSystem;
let browser: Browser;

beforeAll(async () => {
  [system, browser] = await Promise.all([startWebSystem(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('when a seller lists a ticket and it sells', () => {
  it('then the form showed the proceeds after the fee, and /payouts shows them available and asks for a verified email', async () => {
    const { baseUrl } = system;
    const title = uniqueTitle('Payout show');
    const seller = await openPage(browser, desktop);
    await signUp(seller, baseUrl, uniqueEmail('seller'));

    await seller.goto(`${baseUrl}/tickets/new`);
    await seller.getByLabel('Title').fill(title);
    await seller.getByLabel('Price').fill('40');
    await seller.getByText('You receive $36.00 after the fee (10%).').waitFor();
    await screenshot(seller, 'desktop-new-ticket-proceeds');
    await seller.getByRole('button', { name: 'Create ticket' }).click();
    await seller.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    const ticketId = new URL(seller.url()).pathname.split('/').at(-1)!;

    const buyer = await apiSession(baseUrl, uniqueEmail('buyer'));
    await buyer.buy(ticketId);

    await seller.getByRole('banner').getByRole('link', { name: 'Payouts' }).click();
    await seller.waitForURL(`${baseUrl}/payouts`);
    const available = seller.getByText('Available').locator('..');
    await expect
      .poll(
        async () => {
          await seller.reload();
          return available.textContent();
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toContain('$36.00');
    for (const label of ['Pending', 'Paid out']) {
      await seller.getByText(label, { exact: true }).waitFor();
    }
    await seller.getByText('No payouts yet.').waitFor();
    await screenshot(seller, 'desktop-payouts');

    // auth has not verified this address: the payout is refused, the money stays.
    await seller.getByRole('button', { name: 'Request payout' }).click();
    await seller.getByText('Verify your email first').waitFor();
    const account = seller
      .getByRole('alert')
      .getByRole('link', { name: 'Resend the verification email from your account' });
    expect(await account.getAttribute('href')).toBe('/account');
    expect(await available.textContent()).toContain('$36.00');
    await screenshot(seller, 'desktop-payouts-unverified');

    const mobile = await openPage(browser, phone);
    await mobile.context().addCookies(await seller.context().cookies());
    await mobile.goto(`${baseUrl}/payouts`);
    await mobile.getByRole('button', { name: 'Request payout' }).waitFor();
    expect(await horizontalOverflow(mobile)).toBe(0);
    await screenshot(mobile, 'phone-payouts');
  });
});
