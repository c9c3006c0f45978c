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
import {
  apiSession,
  expectCountdownToMove,
  listTicket,
  signUp,
  uniqueEmail,
  uniqueTitle,
} from './flows.js';
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

describe('when a seller lists a ticket and a buyer pays for it', () => {
  it('then the buyer owns it, after one declined card, and the seller can no longer edit it', async () => {
    const { baseUrl } = system;
    const title = uniqueTitle('Arctic Monkeys, Block B');

    const seller = await openPage(browser, desktop);
    const sellerEmail = uniqueEmail('seller');
    await signUp(seller, baseUrl, sellerEmail);
    // Once, right after signing up: where the verification link went.
    await seller
      .getByRole('status')
      .getByText(`Check your inbox: we sent a link to verify ${sellerEmail}`)
      .waitFor();
    await screenshot(seller, 'desktop-home-signed-in');
    const ticketUrl = await listTicket(seller, baseUrl, title, '35.5');
    await expect.poll(() => seller.getByText('$35.50').count()).toBeGreaterThan(0);
    await seller.getByRole('link', { name: 'Edit' }).waitFor();
    await screenshot(seller, 'desktop-ticket-seller');

    const buyer = await openPage(browser, desktop);
    await signUp(buyer, baseUrl, uniqueEmail('buyer'));
    await buyer.getByRole('searchbox', { name: 'Search tickets' }).fill(title);
    await buyer.getByRole('button', { name: 'Search' }).click();
    await buyer.waitForURL(/[?&]q=/);
    await screenshot(buyer, 'desktop-home-search');
    await buyer.getByRole('link', { name: title }).click();
    await buyer.waitForURL(ticketUrl);
    expect(await buyer.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await screenshot(buyer, 'desktop-ticket-buyer');
    // A rival has the same page open: by the time they press Purchase, it is taken.
    const rival = await openPage(browser, desktop);
    await signUp(rival, baseUrl, uniqueEmail('rival'));
    await rival.goto(ticketUrl);
    await rival.getByRole('button', { name: 'Purchase' }).waitFor();

    await buyer.getByRole('button', { name: 'Purchase' }).click();
    await buyer.waitForURL(/\/orders\/[^/]+$/);
    const orderUrl = buyer.url();
    await buyer.getByRole('heading', { name: title }).waitFor();
    // Next streams metadata resolved on the server: the <title> can land just after the body.
    await expect.poll(() => buyer.title(), { timeout: 5_000 }).toBe(`Order for ${title} · GitTix`);
    await expectCountdownToMove(buyer);
    await screenshot(buyer, 'desktop-order-open');

    // Back on the ticket once tickets has heard of the order: the hold is the buyer's own.
    await expect
      .poll(
        async () => {
          await buyer.goto(ticketUrl);
          return buyer.getByText("You're holding this ticket").count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    expect(await buyer.getByText('On hold for another buyer').count()).toBe(0);
    await screenshot(buyer, 'desktop-ticket-held-by-you');

    // The rival's purchase is refused: the reason stays, focused, once the page shows the hold.
    await rival.getByRole('button', { name: 'Purchase' }).click();
    await rival.getByText('On hold for another buyer').waitFor();
    const refusal = rival.getByRole('alert').filter({ hasText: 'Ticket is already reserved' });
    await refusal.waitFor();
    expect(await refusal.evaluate((alert) => alert === document.activeElement)).toBe(true);
    expect(await rival.getByRole('button', { name: 'Purchase' }).count()).toBe(0);
    await screenshot(rival, 'desktop-ticket-purchase-refused');

    // Someone else's order is the not-found page, its tab title too.
    expect((await seller.goto(orderUrl))?.status()).toBe(404);
    await seller.getByRole('heading', { name: 'Page not found' }).waitFor();
    await expect.poll(() => seller.title(), { timeout: 5_000 }).toBe('Not found · GitTix');
    await buyer.getByRole('link', { name: 'Pay for it' }).click();
    await buyer.waitForURL(orderUrl);

    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.getByText('Enter a card number').waitFor();
    await buyer.getByLabel('Card number').fill('1234 5678');
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.getByText('This is a test store').waitFor();

    await buyer.getByLabel('Card number').fill('4000 0000 0000 0002');
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.getByText(/declined/i).waitFor();
    await screenshot(buyer, 'desktop-order-declined');

    await buyer.getByLabel('Card number').fill('4242424242424242');
    await buyer.getByRole('button', { name: 'Pay' }).click();
    await buyer.getByText('Payment confirmed').waitFor();
    await expect.poll(() => buyer.getByText('Complete', { exact: true }).count()).toBe(1);
    expect(await buyer.getByRole('button', { name: 'Pay' }).count()).toBe(0);
    await screenshot(buyer, 'desktop-order-complete');

    // The order stays complete once the payment event has reached the orders service.
    await expect
      .poll(
        async () => {
          await buyer.goto(orderUrl);
          return buyer.getByText('Complete', { exact: true }).count();
        },
        { timeout: 15_000, interval: 1_000 },
      )
      .toBe(1);
    await buyer.goto(`${baseUrl}/orders`);
    await buyer.getByRole('link', { name: title }).getByText('Complete').waitFor();
    await screenshot(buyer, 'desktop-orders');

    await expectSellerCannotEdit(seller, ticketUrl);
    await seller.goto(`${baseUrl}/tickets/mine`);
    await seller.getByRole('link', { name: title }).getByText('Sold').waitFor();
    // The seller sees which listings have the ticket itself (attached after the sale, above).
    await seller.getByRole('link', { name: title }).getByText('Ticket file attached').waitFor();
    await screenshot(seller, 'desktop-tickets-mine');

    await buyer.getByRole('link', { name: 'Sign out' }).click();
    await buyer.waitForURL(/\/auth\/signout$/);
    await buyer.getByRole('button', { name: 'Sign out' }).click();
    await buyer.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(new URL(buyer.url()).pathname).toBe('/');
  }, 120_000);
});

/** Sold tickets offer no Edit; the edit form itself answers with the API's refusal. */
async function expectSellerCannotEdit(seller: Page, ticketUrl: string): Promise<void> {
  // The sale reaches the tickets service as an event: reload until it has.
  await expect
    .poll(
      async () => {
        await seller.goto(ticketUrl);
        return seller.getByText('Sold', { exact: true }).count();
      },
      { timeout: 15_000, interval: 500 },
    )
    .toBe(1);
  expect(await seller.getByRole('link', { name: 'Edit' }).count()).toBe(0);
  await seller.goto(`${ticketUrl}/edit`);
  await seller.getByText('This ticket is sold: only its file can still be attached.').waitFor();
  expect(await seller.getByRole('button', { name: 'Save' }).count()).toBe(0);
  expect(await seller.getByLabel('Price').count()).toBe(0);
  // What is left to do after the sale: deliver the ticket itself.
  await seller.getByLabel('Ticket file').setInputFiles({
    name: 'ticket.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.7\n%%EOF\n'),
  });
  await seller.getByRole('button', { name: 'Attach file' }).click();
  await seller.getByText('Ticket file attached').waitFor();
  await screenshot(seller, 'desktop-edit-sold');
}

describe('when more tickets match than fit on a page', () => {
  it('then the front page pages through them newest first, keeping the search', async () => {
    const word = uniqueTitle('Paging').replace(' ', '');
    const seller = await apiSession(system.baseUrl, uniqueEmail('bulk-seller'));
    for (let n = 1; n <= 26; n += 1) await seller.createTicket(`${word} show ${n}`, n);

    const page = await openPage(browser, desktop);
    await page.goto(`${system.baseUrl}/?q=${encodeURIComponent(word)}`);
    const cards = page.getByRole('main').getByRole('listitem');
    await expect.poll(() => cards.count()).toBe(24);
    expect(await cards.first().textContent()).toContain(`${word} show 26`);

    await page.getByRole('link', { name: 'More tickets' }).click();
    await expect.poll(() => cards.count()).toBe(2);
    expect(await cards.allTextContents()).toEqual([
      expect.stringContaining(`${word} show 2$`),
      expect.stringContaining(`${word} show 1$`),
    ]);
    expect(new URL(page.url()).searchParams.get('q')).toBe(word);
    expect(await page.getByRole('link', { name: 'More tickets' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Newest' }).click();
    await expect.poll(() => cards.count()).toBe(24);
  }, 60_000);
});

describe('when someone uses the forms wrongly', () => {
  it('then API errors appear beside their field, others above the form', async () => {
    const page = await openPage(browser, desktop);
    const email = uniqueEmail('forms');
    await signUp(page, system.baseUrl, email);
    await page.context().clearCookies();

    await page.goto(`${system.baseUrl}/auth/signup`);
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.locator('#email-error').count()).toBe(1);
    await expect.poll(() => page.locator('#password-error').count()).toBe(1);
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'desktop-signup-errors');

    await page.goto(`${system.baseUrl}/auth/signin`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Invalid credentials').waitFor();
    await screenshot(page, 'desktop-signin-error');
  }, 60_000);

  it('then selling asks a signed-out visitor to sign in first, and comes back after', async () => {
    const page = await openPage(browser, desktop);
    await page.goto(`${system.baseUrl}/tickets/new`);
    await page.waitForURL(/\/auth\/signin\?next=%2Ftickets%2Fnew$/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Email').fill(uniqueEmail('returning'));
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL(/\/tickets\/new$/);
    await page.getByLabel('Title').fill(uniqueTitle('Forgiving price'));
    await page.getByLabel('Price').fill('35.555');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.locator('#price-error').getByText('at most 2 decimals').waitFor();
    await screenshot(page, 'desktop-new-ticket-error');
    // A screen reader reads the field's error and hint, not the error icon ("!") before them.
    const description = await accessibleDescription(page, 'Price');
    expect(description).toMatch(/^Use at most 2 decimals, like 35\.50 In US dollars/);
    await page.getByLabel('Price').fill('$1,200.50');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.waitForURL(/\/tickets\/[^/]+$/);
    await page.getByText('$1,200.50').first().waitFor();
  }, 60_000);

  it('then an unknown page or ticket shows the not-found page', async () => {
    const page = await openPage(browser, desktop);
    const response = await page.goto(
      `${system.baseUrl}/tickets/00000000-0000-4000-8000-000000000000`,
    );
    expect(response?.status()).toBe(404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect((await page.goto(`${system.baseUrl}/no/such/page`))?.status()).toBe(404);
    await screenshot(page, 'desktop-not-found');
  }, 30_000);
});

describe('when the main pages are viewed on a phone', () => {
  it('then they fit the screen without sideways scrolling', async () => {
    const { baseUrl } = system;
    const page = await openPage(browser, phone);
    await page.goto(`${baseUrl}/`);
    await page.getByRole('link', { name: 'Sign up' }).waitFor();
    await screenshot(page, 'phone-home-signed-out');
    expect(await horizontalOverflow(page)).toBe(0);
    // The guest's links are spaced apart, not run together as one phrase.
    const header = page.getByRole('banner');
    const events = await header.getByRole('link', { name: 'Events' }).boundingBox();
    const signUpLink = await header.getByRole('link', { name: 'Sign up' }).boundingBox();
    expect(signUpLink!.x - (events!.x + events!.width)).toBeGreaterThanOrEqual(12);

    await page.goto(`${baseUrl}/auth/signin`);
    await screenshot(page, 'phone-signin');
    expect(await horizontalOverflow(page)).toBe(0);

    await signUp(page, baseUrl, uniqueEmail('phone-with-a-rather-long-address'));
    for (const link of ['My orders', 'Sell tickets', 'Sign out']) {
      await page.getByRole('link', { name: link }).waitFor();
    }
    await screenshot(page, 'phone-home-signed-in');
    expect(await horizontalOverflow(page)).toBe(0);
    await page.setViewportSize({ width: 360, height: 740 });
    expect(await horizontalOverflow(page)).toBe(0);
    await page.setViewportSize(phone.viewport!);

    const ticketUrl = await listTicket(
      page,
      baseUrl,
      uniqueTitle('A very long ticket title for a festival weekend pass, Saturday and Sunday'),
      '120',
    );
    await screenshot(page, 'phone-ticket');
    expect(await horizontalOverflow(page)).toBe(0);

    await page.goto(`${ticketUrl}/edit`);
    await screenshot(page, 'phone-edit');
    expect(await horizontalOverflow(page)).toBe(0);

    // Keyboard back up a long form: each control it reaches shows below the header's
    // two rows, never hidden under them.
    await page.goto(`${baseUrl}/tickets/new`);
    await page.getByRole('button', { name: 'Create ticket' }).focus();
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    for (const reached of ['file', 'price', 'title', 'Add it on the events page', 'eventId']) {
      await page.keyboard.press('Shift+Tab');
      const focus = await focusPosition(page);
      expect(focus.name).toBe(reached);
      expect(focus.top, `${reached} under the header`).toBeGreaterThanOrEqual(focus.headerBottom);
    }

    const buyer = await openPage(browser, phone);
    await signUp(buyer, baseUrl, uniqueEmail('phone-buyer'));
    await buyer.goto(ticketUrl);
    await buyer.getByRole('button', { name: 'Purchase' }).click();
    await buyer.waitForURL(/\/orders\/[^/]+$/);
    await buyer.getByRole('timer').waitFor();
    await screenshot(buyer, 'phone-order');
    expect(await horizontalOverflow(buyer)).toBe(0);

    await buyer.goto(`${baseUrl}/orders`);
    await screenshot(buyer, 'phone-orders');
    expect(await horizontalOverflow(buyer)).toBe(0);

    await page.goto(`${baseUrl}/tickets/mine`);
    await screenshot(page, 'phone-tickets-mine');
    expect(await horizontalOverflow(page)).toBe(0);
  }, 90_000);
});

/** Where the focused control is, against the bottom of the sticky site header. */
async function focusPosition(page: Page) {
  return page.evaluate<{ name: string; top: number; headerBottom: number }>(`(() => {
    const focused = document.activeElement;
    return {
      name: focused.id || focused.textContent.trim(),
      top: focused.getBoundingClientRect().top,
      headerBottom: document.querySelector('body > header').getBoundingClientRect().bottom,
    };
  })()`);
}

/** The accessible description Chromium gives the textbox labelled `label`. */
async function accessibleDescription(page: Page, label: string): Promise<string | undefined> {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: {
      role?: { value: string };
      name?: { value: string };
      description?: { value: string };
    }[];
  };
  await cdp.detach();
  return nodes.find((n) => n.role?.value === 'textbox' && n.name?.value === label)?.description
    ?.value;
}
