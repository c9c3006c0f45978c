import { STAND_IN_SECRET_KEY, startStripeStandIn, waitFor } from '@gittix/common/testing';
import type { Browser } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startSystem } from '../harness/system.js';
import { desktop, launchBrowser, openPage, screenshot } from './browser.js';
import { apiSession, listTicket, signUp, uniqueEmail, uniqueTitle } from './flows.js';

// The whole system with payments in Stripe mode: the real SDK talks to the stand-in,
// whose onboarding page finishes at once and sends the seller back to /payouts; the
// test plays Stripe's webhook, signed with the system's STRIPE_WEBHOOK_SECRET.
const WEBHOOK_SECRET = 'whsec_gittix_e2e_secret';
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
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
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

describe('when a buyer is refunded in part, then in full, in Stripe after the sale', () => {
  it('then the part is shown on the order and the ticket stays theirs; after the whole, the ticket stays sold but is no longer theirs: its download is refused, My tickets and the order say Refunded, and the buyer is emailed each time', async () => {
    const { baseUrl } = system;
    const seller = await apiSession(baseUrl, uniqueEmail('refund-seller'));
    const title = uniqueTitle('Refunded show');
    const ticket = await seller.createTicket(title, 25);
    const attached = await fetch(`${baseUrl}/api/tickets/${ticket.id}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', cookie: seller.cookie },
      body: '%PDF-1.4\n% a ticket\n%%EOF\n',
    });
    expect(attached.status).toBe(204);
    const buyerEmail = uniqueEmail('refund-buyer');
    const buyer = await apiSession(baseUrl, buyerEmail);
    const orderId = await buyer.buy(ticket.id);
    const get = (path: string) => fetch(`${baseUrl}${path}`, { headers: { cookie: buyer.cookie } });

    // Captured, and the buyer has the file: the sale as it stands before the refund.
    const payment = await waitFor(
      async () => {
        const payments = (await (await get('/api/payments')).json()) as Array<{
          id: string;
          orderId: string;
          providerId: string;
          status: string;
        }>;
        return payments.find((p) => p.orderId === orderId && p.status === 'captured');
      },
      { timeoutMs: 30_000, message: 'the payment captured' },
    );
    await waitFor(async () => (await get(`/api/tickets/${ticket.id}/file`)).status === 200, {
      timeoutMs: 15_000,
      message: "the buyer's download",
    });

    /** Stripe's charge.refunded, signed, with `refundedCents` of the $25 refunded so far. */
    const chargeRefunded = async (refundedCents: number) => {
      const payload = JSON.stringify({
        id: `evt_refund_${refundedCents}_${orderId}`,
        object: 'event',
        type: 'charge.refunded',
        api_version: '2025-01-01',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: `ch_${orderId.slice(0, 8)}`,
            object: 'charge',
            payment_intent: payment.providerId,
            amount: 2500,
            amount_refunded: refundedCents,
            refunded: refundedCents === 2500,
            metadata: { paymentId: payment.id },
          },
        },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
      });
      const delivered = await fetch(`${baseUrl}/api/payments/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({
            payload,
            secret: WEBHOOK_SECRET,
          }),
        },
        body: payload,
      });
      expect(delivered.status).toBe(200);
    };
    const page = await openPage(browser, desktop);
    const [name, value] = buyer.cookie.split('; ')[0]!.split(/=(.*)/s) as [string, string];
    await page.context().addCookies([{ name, value, url: baseUrl }]);

    // $5 of it refunded in Stripe's dashboard: the sale stands, the buyer keeps the ticket
    // and its download, and the order page says what came back.
    await chargeRefunded(500);
    const partEmail = await system.mail.waitFor(
      buyerEmail,
      /^Part of your payment .* was refunded$/,
    );
    expect(partEmail.subject).toBe(`Part of your payment for ${title} was refunded`);
    await page.goto(`${baseUrl}/orders/${orderId}`);
    await page.getByText('$5.00 of your $25.00 payment was given back to you.').waitFor();
    await page.getByText('Paid. This ticket is yours.').waitFor();
    expect(await page.getByRole('link', { name: 'Download ticket' }).count()).toBe(1);
    expect(await page.getByText('Complete', { exact: true }).count()).toBe(1);
    await screenshot(page, 'desktop-order-partly-refunded');
    expect((await get(`/api/tickets/${ticket.id}/file`)).status).toBe(200);
    await page.goto(`${baseUrl}/tickets/purchased`);
    const bought = page.getByRole('listitem').filter({ hasText: title });
    await bought.getByText('$5.00 of your payment was given back to you.').waitFor();
    expect(await bought.getByRole('link', { name: 'Download ticket' }).count()).toBe(1);
    await screenshot(page, 'desktop-tickets-purchased-partly-refunded');
    await page.goto(`${baseUrl}/orders`);
    const ordered = page.getByRole('listitem').filter({ hasText: title });
    await ordered.getByText('$5.00 of your payment was given back to you.').waitFor();
    await ordered.getByText('Complete', { exact: true }).waitFor();
    await screenshot(page, 'desktop-orders-partly-refunded');

    // Then the rest, in Stripe's dashboard, and its charge.refunded for the whole amount.
    // As Stripe sends it, the charge in the event lists no refunds: payments asks for the id.
    await new Stripe(STAND_IN_SECRET_KEY, {
      host: new URL(standIn.url).hostname,
      port: Number(new URL(standIn.url).port),
      protocol: 'http',
    }).refunds.create({ payment_intent: payment.providerId });
    await chargeRefunded(2500);

    const refused = await waitFor(
      async () => {
        const response = await get(`/api/tickets/${ticket.id}/file`);
        return response.status === 403 ? response : undefined;
      },
      { timeoutMs: 15_000, message: 'the download refused' },
    );
    expect(await refused.json()).toEqual({ errors: [{ message: 'This purchase was refunded' }] });
    const sold = (await (await get(`/api/tickets/${ticket.id}`)).json()) as { status: string };
    expect(sold.status).toBe('sold');
    const refundEmail = await system.mail.waitFor(buyerEmail, /^Your payment .* was refunded$/);
    expect(refundEmail.subject).toBe(`Your payment for ${title} was refunded`);

    await page.goto(`${baseUrl}/tickets/purchased`);
    const row = page.getByRole('listitem').filter({ hasText: title });
    await row.getByText('Refunded', { exact: true }).waitFor();
    expect(await row.getByRole('link', { name: 'Download ticket' }).count()).toBe(0);
    await screenshot(page, 'desktop-tickets-purchased-refunded');
    await page.goto(`${baseUrl}/orders/${orderId}`);
    await page.getByText('Your payment was refunded: this ticket is no longer yours.').waitFor();
    expect(await page.getByRole('link', { name: 'Download ticket' }).count()).toBe(0);
    expect(await page.getByText('Refunded', { exact: true }).count()).toBe(1);
    await screenshot(page, 'desktop-order-refunded');
    await page.goto(`${baseUrl}/orders`);
    const order = page.getByRole('listitem').filter({ hasText: title });
    await order.getByText('Refunded', { exact: true }).waitFor();
    await screenshot(page, 'desktop-orders-refunded');
  });
});
