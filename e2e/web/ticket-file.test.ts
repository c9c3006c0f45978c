import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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

// No timeout of its own: the e2e-shared project's hookTimeout covers the shared system's start.
beforeAll(async () => {
  [system, browser] = await Promise.all([startWebSystem(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('when a seller attaches the ticket file and a buyer pays', () => {
  it('then the buyer downloads exactly the same bytes, from the order page and from My tickets, and a stranger is refused', async () => {
    const { baseUrl } = system;
    const title = uniqueTitle('Fontaines D.C., standing');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(600 * 1024)]);

    const seller = await openPage(browser, desktop);
    await signUp(seller, baseUrl, uniqueEmail('seller'));
    await seller.goto(`${baseUrl}/tickets/new`);
    await seller.getByLabel('Title').fill(title);
    await seller.getByLabel('Price').fill('48');
    await seller
      .getByLabel('Ticket file')
      .setInputFiles({ name: 'e-ticket.pdf', mimeType: 'application/pdf', buffer: pdf });
    await screenshot(seller, 'desktop-ticket-new-with-file');
    await seller.getByRole('button', { name: 'Create ticket' }).click();
    await seller.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    const ticketUrl = seller.url();
    const ticketId = ticketUrl.split('/').at(-1) ?? '';
    const listed = await (await fetch(`${baseUrl}/api/tickets/${ticketId}`)).json();
    expect(listed).toMatchObject({ title, hasFile: true });

    const buyer = await openPage(browser, desktop);
    await signUp(buyer, baseUrl, uniqueEmail('buyer'));
    await buyer.goto(ticketUrl);
    await buyer.getByRole('button', { name: 'Purchase' }).click();
    await buyer.waitForURL(/\/orders\/[^/]+$/);
    const orderUrl = buyer.url();
    await buyer.getByLabel('Card number').fill('4242424242424242');
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.getByText('Payment confirmed').waitFor();

    // The order page links to the file once the tickets service has recorded the sale.
    await expect
      .poll(
        async () => {
          await buyer.goto(orderUrl);
          return buyer.getByRole('link', { name: 'Download ticket' }).count();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(1);
    await screenshot(buyer, 'desktop-order-complete-download');
    const fromOrder = buyer.waitForEvent('download');
    await buyer.getByRole('link', { name: 'Download ticket' }).click();
    const orderDownload = await fromOrder;
    expect(orderDownload.suggestedFilename()).toBe(`ticket-${ticketId}.pdf`);
    expect(sha256(await readFile((await orderDownload.path()) ?? ''))).toBe(sha256(pdf));

    await buyer.getByRole('banner').getByRole('link', { name: 'My tickets' }).click();
    await buyer.waitForURL(/\/tickets\/purchased$/);
    await buyer.getByRole('heading', { name: 'My tickets' }).waitFor();
    await screenshot(buyer, 'desktop-tickets-purchased');
    const fromList = buyer.waitForEvent('download');
    await buyer
      .getByRole('listitem')
      .filter({ hasText: title })
      .getByRole('link', { name: 'Download ticket', exact: true })
      .click();
    expect(sha256(await readFile((await (await fromList).path()) ?? ''))).toBe(sha256(pdf));

    const stranger = await apiSession(baseUrl, uniqueEmail('stranger'));
    const refused = await fetch(`${baseUrl}/api/tickets/${ticketId}/file`, {
      headers: { cookie: stranger.cookie },
    });
    expect(refused.status).toBe(403);
    expect((await fetch(`${baseUrl}/api/tickets/${ticketId}/file`)).status).toBe(401);

    const mobile = await openPage(browser, phone);
    await mobile.context().addCookies(await buyer.context().cookies());
    await mobile.goto(`${baseUrl}/tickets/purchased`);
    await mobile
      .getByRole('listitem')
      .filter({ hasText: title })
      .getByRole('link', { name: 'Download ticket', exact: true })
      .waitFor();
    expect(await horizontalOverflow(mobile)).toBe(0);
    await screenshot(mobile, 'phone-tickets-purchased');
  });

  it('then a file that is not what it claims is refused in the form, and the ticket is listed without it', async () => {
    const { baseUrl } = system;
    const seller = await openPage(browser, phone);
    await signUp(seller, baseUrl, uniqueEmail('seller'));
    await seller.goto(`${baseUrl}/tickets/new`);
    await seller.getByLabel('Title').fill(uniqueTitle('Not a PDF'));
    await seller.getByLabel('Price').fill('20');
    await seller.getByLabel('Ticket file').setInputFiles({
      name: 'ticket.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('<html>not a pdf</html>'),
    });
    await seller.getByRole('button', { name: 'Create ticket' }).click();
    // Listed all the same: the form says so, links to it, and now saves it.
    const alert = seller.getByRole('alert').filter({ hasText: 'Your ticket is listed' });
    await alert.getByText(/its file was not attached: The file is not a real PDF/).waitFor();
    expect(await alert.evaluate((element) => element === document.activeElement)).toBe(true);
    const listing = alert.getByRole('link', { name: 'View your listing' });
    expect(await listing.getAttribute('href')).toMatch(/^\/tickets\/[0-9a-f-]{36}$/);
    await seller.getByText('The file is not a real PDF', { exact: true }).waitFor();
    await seller.getByRole('button', { name: 'Save' }).waitFor();
    expect(await seller.getByRole('button', { name: 'Create ticket' }).count()).toBe(0);
    expect(await horizontalOverflow(seller)).toBe(0);
    await screenshot(seller, 'phone-ticket-new-bad-file');
  });
});
