import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  desktop,
  horizontalOverflow,
  launchBrowser,
  openPage,
  phone,
  screenshot,
} from './browser.js';
import { signUp, uniqueEmail, uniqueTitle } from './flows.js';
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

/** A `datetime-local` value a week ahead, in the browser's own clock. */
function nextWeekLocal(): string {
  const at = new Date(Date.now() + 7 * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T20:00`;
}

/** Reloads `url` until `text` shows: event-driven changes reach the page a moment later. */
async function reloadUntil(page: Page, url: string, text: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.goto(url);
        return page.getByText(text, { exact: true }).count();
      },
      { timeout: 15_000, interval: 500 },
    )
    .toBeGreaterThan(0);
}

describe('when a seller adds an event and lists a ticket for it, and a buyer finds it from /events', () => {
  it('then the buyer buys it and everyone sees it sold', async () => {
    const { baseUrl } = system;
    const show = uniqueTitle('Nils Frahm live');

    // A New York seller: what they type as "Your local time" comes back in their zone.
    const seller = await openPage(browser, { ...desktop, timezoneId: 'America/New_York' });
    await signUp(seller, baseUrl, uniqueEmail('events-seller'));
    await seller.getByRole('banner').getByRole('link', { name: 'Events' }).click();
    await seller.waitForURL(`${baseUrl}/events`);
    await seller.getByLabel('Name').fill(show);
    await seller.getByLabel('Venue').fill('Salle Pleyel');
    await seller.getByLabel('City').fill('Paris');
    await seller.getByLabel('Starts at').fill(nextWeekLocal());
    await screenshot(seller, 'desktop-events-add');
    await seller.getByRole('button', { name: 'Add event' }).click();
    await seller.waitForURL(/\/events\/[^/]+$/);
    const eventUrl = seller.url();
    await seller.getByRole('heading', { name: show }).waitFor();
    await seller.getByText('No tickets for sale yet').waitFor();
    await seller
      .getByRole('main')
      .locator('time')
      .getByText(/, 08:00 PM E[DS]T$/)
      .waitFor();
    await screenshot(seller, 'desktop-event-empty');

    await seller.getByRole('link', { name: 'Sell a ticket for this event' }).click();
    await seller.waitForURL(/\/tickets\/new\?eventId=/);
    const picker = seller.getByLabel('Event');
    expect(await picker.locator('option:checked').textContent()).toContain(show);
    await expect
      .poll(() => picker.locator('option:checked').textContent())
      .toMatch(/, 08:00 PM E[DS]T$/);
    await screenshot(seller, 'desktop-ticket-new-for-event');
    await seller.getByLabel('Title').fill('Balcony, row A');
    await seller.getByLabel('Price').fill('48');
    await seller.getByRole('button', { name: 'Create ticket' }).click();
    await seller.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    const ticketUrl = seller.url();
    await seller.getByRole('link', { name: show }).waitFor();
    // A dearer seat, listed the same way, so the event page has an order to show.
    await seller.goto(`${eventUrl.replace(/\/events\//, '/tickets/new?eventId=')}`);
    await seller.getByLabel('Title').fill('Floor, front');
    await seller.getByLabel('Price').fill('95');
    await seller.getByRole('button', { name: 'Create ticket' }).click();
    await seller.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);

    const buyer = await openPage(browser, phone);
    await signUp(buyer, baseUrl, uniqueEmail('events-buyer'));
    await buyer.goto(`${baseUrl}/events`);
    await buyer.getByRole('searchbox', { name: 'Search events' }).fill(show);
    await buyer.getByRole('button', { name: 'Search' }).click();
    await buyer.waitForURL(/\/events\?q=/);
    const card = buyer.getByRole('link', { name: new RegExp(show) });
    await card.getByText('2 tickets from $48.00').waitFor();
    expect(await horizontalOverflow(buyer)).toBe(0);
    await screenshot(buyer, 'phone-events-search');
    await card.click();
    await buyer.waitForURL(eventUrl);
    const seats = buyer.getByRole('main').getByRole('listitem');
    expect(await seats.allTextContents()).toEqual([
      expect.stringContaining('Balcony, row A'),
      expect.stringContaining('Floor, front'),
    ]);
    expect(await horizontalOverflow(buyer)).toBe(0);
    await screenshot(buyer, 'phone-event');

    await buyer.getByLabel('Sort').selectOption('-price');
    await buyer.getByLabel('Min price').fill('50');
    await buyer.getByRole('button', { name: 'Apply' }).click();
    await buyer.waitForURL(/minPrice=50/);
    await expect
      .poll(() => seats.allTextContents())
      .toEqual([expect.stringContaining('Floor, front')]);
    await screenshot(buyer, 'phone-event-filtered');

    await buyer.goto(ticketUrl);
    await buyer.getByRole('button', { name: 'Purchase' }).click();
    await buyer.waitForURL(/\/orders\/[^/]+$/);
    // The order says which show the seat is for.
    await buyer.getByRole('main').getByRole('link', { name: show }).waitFor();
    await buyer.getByLabel('Card number').fill('4242424242424242');
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.getByText('Payment confirmed').waitFor();

    await reloadUntil(buyer, ticketUrl, 'Sold');
    expect(await buyer.getByRole('button', { name: 'Purchase' }).count()).toBe(0);
    expect(await horizontalOverflow(buyer)).toBe(0);
    await screenshot(buyer, 'phone-ticket-sold');
    await buyer.goto(`${baseUrl}/tickets/purchased`);
    await buyer
      .getByRole('listitem')
      .filter({ hasText: 'Balcony, row A' })
      .getByRole('link', { name: show })
      .waitFor();
    expect(await horizontalOverflow(buyer)).toBe(0);
    await screenshot(buyer, 'phone-purchased');
    await buyer.goto(eventUrl);
    await buyer.getByText('1 ticket at $95.00').waitFor();

    await seller.goto(`${baseUrl}/tickets/mine`);
    await seller
      .getByRole('link', { name: /Balcony, row A/ })
      .getByText('Sold')
      .waitFor();
    // One `Withdraw` per available listing, described by its title.
    const withdraw = (title: string) =>
      seller
        .getByRole('listitem')
        .filter({ hasText: title })
        .getByRole('button', { name: 'Withdraw', exact: true });
    expect(await withdraw('Balcony, row A').count()).toBe(0);
    // Listed without their files: the seller can see what is left to deliver.
    await seller
      .getByRole('link', { name: /Floor, front/ })
      .getByText('No ticket file yet')
      .waitFor();
    // On a phone the button is its card's footer, inside the card's edges, not a loose
    // full-width button under it that reads as the next card's.
    await seller.setViewportSize(phone.viewport!);
    const item = await seller
      .getByRole('listitem')
      .filter({ hasText: 'Floor, front' })
      .boundingBox();
    const button = await withdraw('Floor, front').boundingBox();
    expect(item && button).toBeTruthy();
    if (item && button) {
      expect(button.x).toBeGreaterThan(item.x + 8);
      expect(button.x + button.width).toBeLessThan(item.x + item.width - 8);
      expect(item.y + item.height - (button.y + button.height)).toBeGreaterThan(8);
    }
    await screenshot(seller, 'phone-tickets-mine');
    await seller.setViewportSize(desktop.viewport!);
    await withdraw('Floor, front').click();
    await seller
      .getByRole('link', { name: /Floor, front/ })
      .getByText('Withdrawn')
      .waitFor();
    await screenshot(seller, 'desktop-tickets-mine-withdrawn');
    await seller.goto(eventUrl);
    await seller.getByText('No tickets for sale yet').waitFor();
  }, 150_000);
});

describe('when someone browses events on a phone', () => {
  it('then /events and the front page filters fit the screen', async () => {
    const page = await openPage(browser, phone);
    await page.goto(`${system.baseUrl}/events`);
    await page.getByRole('heading', { name: 'Upcoming events', exact: true }).waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'phone-events');
    await page.goto(`${system.baseUrl}/?sort=price&minPrice=abc`);
    await page.getByText('Prices are in dollars, like 25 or 25.50.').waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'phone-home-filters');
    // A search for one long word (a pasted URL, a code) is echoed in the heading: it
    // wraps rather than widening the page past the screen.
    const word = 'x'.repeat(80);
    for (const path of [`/?q=${word}`, `/events?q=${word}`]) {
      await page.goto(`${system.baseUrl}${path}`);
      await page.getByRole('heading', { name: new RegExp(`matching “${word}”`) }).waitFor();
      expect(await horizontalOverflow(page)).toBe(0);
    }
    await screenshot(page, 'phone-events-long-search');
  }, 60_000);
});
