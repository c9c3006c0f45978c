import { STAND_IN_SECRET_KEY, startStripeStandIn } from '@gittix/common/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startSystem } from '../harness/system.js';
import { desktop, launchBrowser, openPage, screenshot } from './browser.js';
import { apiSession, listTicket, signUp, uniqueEmail, uniqueTitle } from './flows.js';

// The whole system with payments in Stripe mode: the real SDK talks to the stand-in,
// whose onboarding page finishes at once and sends the seller back to /payouts.
let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  standIn = await startStripeStandIn();
  [system, browser] = await Promise.all([
    startSystem({
      extraEnv: {
        PAYMENTS_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
        STRIPE_API_BASE: standIn.url,
      },
    }),
    launchBrowser(),
  ]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await standIn?.close();
});

/** The first link of an email that leads to `path`, as a mail client would follow it. */
function linkTo(html: string, path: string): string {
  const link = [...html.matchAll(/href="([^"]*)"/g)]
    .map((m) => m[1]!.replaceAll('&amp;', '&'))
    .find((href) => new URL(href).pathname === path);
  if (!link) throw new Error(`no ${path} link in the email`);
  return link;
}

describe('when payments run on Stripe and a verified seller has sold a ticket', () => {
  it('then /payouts asks to connect a payout account, onboarding brings them back connected, and the payout is a transfer to their account', async () => {
    const { baseUrl } = system;
    const email = uniqueEmail('stripe-seller');
    const seller = await openPage(browser, desktop);
    await signUp(seller, baseUrl, email);
    const verification = await system.mail.waitFor(email, /^Verify your email$/);
    await seller.goto(linkTo(verification.html, '/auth/verify'));
    await seller.getByText('Email verified').waitFor();

    const title = uniqueTitle('Stripe payout show');
    const ticketUrl = await listTicket(seller, baseUrl, title, '40');
    const buyer = await apiSession(baseUrl, uniqueEmail('stripe-buyer'));
    await buyer.buy(new URL(ticketUrl).pathname.split('/').at(-1)!);

    await seller.goto(`${baseUrl}/payouts`);
    const available = seller.getByText('Available').locator('..');
    await expect
      .poll(
        async () => {
          await seller.reload();
          return available.textContent();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toContain('$36.00');
    await seller.getByText('Connect a Stripe account to receive your payouts.').waitFor();
    const request = seller.getByRole('button', { name: 'Request payout' });
    expect(await request.isDisabled()).toBe(true);
    await screenshot(seller, 'desktop-payouts-stripe-connect');

    // To "Stripe" and back: the stand-in's onboarding returns to /payouts at once.
    await seller.getByRole('button', { name: 'Connect payout account' }).click();
    await seller.waitForURL(`${baseUrl}/payouts?onboarding=done`);
    await seller.getByText(/Payout account connected/).waitFor();
    await screenshot(seller, 'desktop-payouts-stripe-connected');
    expect(standIn.state.accountsCreated).toBe(1);

    await request.click();
    await seller.getByText('$36.00 is on its way to you.').waitFor();
    const [transfer, ...more] = [...standIn.transfers.values()];
    expect(more).toEqual([]);
    expect(transfer).toMatchObject({
      amount: 3600,
      destination: [...standIn.accounts.keys()][0],
    });
    const paidOut = seller.getByText('Paid out', { exact: true }).locator('..');
    await expect
      .poll(
        async () => {
          await seller.reload();
          return paidOut.textContent();
        },
        { timeout: 15_000, interval: 1_000 },
      )
      .toContain('$36.00');
    await seller.getByText('Paid', { exact: true }).waitFor();
    await screenshot(seller, 'desktop-payouts-stripe-paid');
  });
});
