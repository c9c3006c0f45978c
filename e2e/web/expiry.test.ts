import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktop, launchBrowser, openPage, screenshot } from './browser.js';
import { expectCountdownToMove, listTicket, signUp, uniqueEmail, uniqueTitle } from './flows.js';
import { startWebSystem, type WebSystem } from './system.js';

const EXPIRATION_SECONDS = 8;

let system: WebSystem;
let browser: Browser;

beforeAll(async () => {
  [system, browser] = await Promise.all([
    startWebSystem({ orderExpirationSeconds: EXPIRATION_SECONDS }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('when a buyer leaves an order unpaid', () => {
  it('then the page counts down to an expired order without reloading, and the ticket goes back on sale', async () => {
    const { baseUrl } = system;
    const seller = await openPage(browser, desktop);
    await signUp(seller, baseUrl, uniqueEmail('seller'));
    const ticketUrl = await listTicket(seller, baseUrl, uniqueTitle('Left unpaid'), '20');

    const buyer = await openPage(browser, desktop);
    await signUp(buyer, baseUrl, uniqueEmail('buyer'));
    await buyer.goto(ticketUrl);
    await buyer.getByRole('button', { name: 'Purchase' }).click();
    await buyer.waitForURL(/\/orders\/[^/]+$/);
    await expectCountdownToMove(buyer);
    // Survives only if the page is never reloaded.
    await buyer.evaluate('window.stillTheSamePage = true');

    await buyer.getByText(/expired/i).waitFor({ timeout: EXPIRATION_SECONDS * 1000 + 5_000 });
    expect(await buyer.getByRole('button', { name: 'Pay' }).count()).toBe(0);
    expect(await buyer.getByText('Expired', { exact: true }).count()).toBe(1);
    await buyer.getByText('Time ran out').waitFor();
    expect(await buyer.evaluate('window.stillTheSamePage')).toBe(true);
    await screenshot(buyer, 'desktop-order-expired');

    await expect
      .poll(
        async () => {
          await seller.goto(ticketUrl);
          return seller.getByRole('link', { name: 'Edit' }).count();
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toBe(1);
  }, 90_000);
});
