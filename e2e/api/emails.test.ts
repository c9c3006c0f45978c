import { randomUUID } from 'node:crypto';
import type { Order, Ticket } from '@gittix/api-types';
import { createEnvelope, EventBus, type EventInput, type Subject } from '@gittix/common';
import { testLogger, waitFor } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/client.js';
import { natsAdmin, type RunningSystem, startSystem } from '../harness/system.js';

/** Every href of an HTML email, as a mail client would follow it. */
const linksIn = (html: string) =>
  [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

describe('emails through the running system and its mail catcher', () => {
  let system: RunningSystem;
  let bus: EventBus;

  beforeAll(async () => {
    // Retries at most 2 s apart, so the outage test does not wait out a long backoff.
    // NATS as in production: notifications connects as its own user, with its permissions.
    system = await startSystem({
      web: false,
      natsAuth: true,
      extraEnv: { EMAIL_RETRY_MAX_MS: '2000' },
    });
    const { settings } = system;
    bus = await EventBus.connect({
      url: settings.natsUrl,
      stream: settings.stream,
      subjectPrefix: settings.subjectPrefix,
      name: 'e2e-emails',
      logger: testLogger,
      ...natsAdmin(settings),
    });
  });
  afterAll(async () => {
    await bus?.close();
    await system?.stop();
  });

  /** Publishes what another service would (auth's user events, payments' capture). */
  async function publish<S extends Subject>(subject: S, data: EventInput<S>) {
    const envelope = createEnvelope(subject, data, randomUUID());
    await bus.publish(envelope);
    return envelope;
  }

  /** A signed-up user (auth announces it with user.created, so notifications knows the address). */
  async function person(label: string) {
    const client = new ApiClient(system.baseUrl);
    const user = await client.signUp(label);
    return { client, ...user };
  }

  async function order(buyer: ApiClient, ticketId: string) {
    return waitFor(
      async () => {
        const placed = await buyer.post<Order>('/api/orders', { ticketId });
        return placed.status === 201 && placed.body;
      },
      { message: 'the ticket to reach the orders service' },
    );
  }

  it('when a user signs up, then the caught verification email links to the verify page with auth’s token', async () => {
    const user = await person('verify');
    const email = await system.mail.waitFor(user.email, /^Verify your email$/);
    const [link] = linksIn(email.html);
    expect(link).toMatch(new RegExp(`^${system.baseUrl}/auth/verify\\?token=[A-Za-z0-9_-]{43}$`));
    expect(email.text).toContain(link);
    const token = new URL(link!).searchParams.get('token');
    expect((await user.client.post('/api/users/verify', { token })).status).toBe(200);
  });

  it('when a buyer orders and the payment is captured, then the buyer gets hold and receipt and the seller the sold email; the ticket file attached later is announced to the buyer', async () => {
    const seller = await person('seller');
    const buyer = await person('buyer');
    const listed = await seller.client.post<Ticket>('/api/tickets', {
      title: 'Mail & <Music>',
      price: 30,
    });
    expect(listed.status).toBe(201);
    const placed = await order(buyer.client, listed.body.id);

    const hold = await system.mail.waitFor(buyer.email, /^Your ticket is on hold: pay by .+ UTC$/);
    expect(linksIn(hold.html)).toEqual([`${system.baseUrl}/orders/${placed.id}`]);
    const viewed = await buyer.client.get<Order>(`/api/orders/${placed.id}`);
    expect(viewed.status).toBe(200);

    const paid = await buyer.client.post('/api/payments', {
      orderId: placed.id,
      token: 'tok_visa',
    });
    expect(paid.status).toBe(201);
    // orders completes the order, payments captures it and publishes payment.captured.
    const receipt = await system.mail.waitFor(buyer.email, /^Your ticket( receipt|: )/);
    expect(linksIn(receipt.html)).toEqual([`${system.baseUrl}/orders/${placed.id}`]);
    expect(receipt.text).toContain('The seller has not attached the ticket itself yet');
    const sold = await system.mail.waitFor(seller.email, /^Sold/);
    expect(sold.text).toContain('Your proceeds: $27.00');

    // The seller attaches the ticket itself after the sale: tickets says so (ticket.file_attached).
    const attached = await fetch(`${system.baseUrl}/api/tickets/${listed.body.id}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', cookie: seller.client.cookieHeader },
      body: new TextEncoder().encode('%PDF-1.7\n%%EOF\n'),
    });
    expect(attached.status).toBe(204);
    const ready = await system.mail.waitFor(
      buyer.email,
      /^Your ticket is ready to download: Mail & <Music>$/,
    );
    expect(linksIn(ready.html)[0]).toBe(`${system.baseUrl}/tickets/purchased`);

    // A replacement is announced as one.
    const replaced = await fetch(`${system.baseUrl}/api/tickets/${listed.body.id}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', cookie: seller.client.cookieHeader },
      body: new TextEncoder().encode('%PDF-1.7\n% seat moved\n%%EOF\n'),
    });
    expect(replaced.status).toBe(204);
    await system.mail.waitFor(buyer.email, /^Your ticket was replaced: Mail & <Music>$/);
  });

  it('when the file is attached before the sale, then the receipt links to the download', async () => {
    const seller = await person('seller-file');
    const buyer = await person('buyer-file');
    const listed = await seller.client.post<Ticket>('/api/tickets', {
      title: 'With file',
      price: 20,
    });
    const attached = await fetch(`${system.baseUrl}/api/tickets/${listed.body.id}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', cookie: seller.client.cookieHeader },
      body: new TextEncoder().encode('%PDF-1.7\n%%EOF\n'),
    });
    expect(attached.status).toBe(204);
    const placed = await order(buyer.client, listed.body.id);
    const paid = await buyer.client.post('/api/payments', {
      orderId: placed.id,
      token: 'tok_visa',
    });
    expect(paid.status).toBe(201);

    const receipt = await system.mail.waitFor(buyer.email, /^Your ticket: With file$/);
    expect(receipt.text).toContain('Download your ticket');
    expect(linksIn(receipt.html)).toContain(`${system.baseUrl}/tickets/purchased`);
  });

  it('when a hold runs out unpaid, then the buyer is told it expired, and a buyer who cancels is not', async () => {
    const seller = await person('seller-expiry');
    const buyer = await person('buyer-expiry');
    const listed = await seller.client.post<Ticket>('/api/tickets', {
      title: 'Late again',
      price: 12,
    });
    const cancelledByBuyer = await seller.client.post<Ticket>('/api/tickets', {
      title: 'Changed my mind',
      price: 13,
    });
    const held = await order(buyer.client, listed.body.id);
    const dropped = await order(buyer.client, cancelledByBuyer.body.id);
    expect((await buyer.client.delete(`/api/orders/${dropped.id}`)).status).toBe(204);
    // The expiration service's event, sent now rather than in 15 minutes (as `npm run events` would).
    await publish('expiration.complete', { orderId: held.id });

    const expired = await system.mail.waitFor(buyer.email, /^Your hold has expired: Late again$/);
    expect(linksIn(expired.html)).toEqual([`${system.baseUrl}/tickets/${listed.body.id}`]);
    const subjects = (await system.mail.emails())
      .filter((email) => email.to.some((r) => r.address === buyer.email))
      .map((email) => email.subject);
    expect(subjects.filter((subject) => subject.startsWith('Your hold has expired'))).toEqual([
      'Your hold has expired: Late again',
    ]);
  });

  it('when the mail catcher is down, then the email waits and arrives once, after it is back', async () => {
    const seller = await person('payout');
    await system.mail.stop();
    const paid = await publish('payout.paid', { id: randomUUID(), userId: seller.id, amount: 12 });
    const db = new pg.Client({ connectionString: system.databaseUrl('notifications') });
    await db.connect();
    try {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ attempts: number }>(
            'SELECT attempts FROM emails WHERE event_id = $1',
            [paid.id],
          );
          return (rows[0]?.attempts ?? 0) >= 2;
        },
        { timeoutMs: 20_000, message: 'two failed tries while SMTP is down' },
      );
      await system.mail.start();
      await system.mail.waitFor(seller.email, /^Payout/, 30_000);
      await waitFor(
        async () =>
          (
            await db.query('SELECT 1 FROM emails WHERE event_id = $1 AND sent_at IS NOT NULL', [
              paid.id,
            ])
          ).rowCount === 1,
        { message: 'the email marked sent' },
      );
      // Sign-up's verification email goes to the same address: count the payout's only.
      const copies = (await system.mail.emails()).filter(
        (e) => e.to.some((t) => t.address === seller.email) && /^Payout/.test(e.subject),
      );
      expect(copies).toHaveLength(1);
    } finally {
      await db.end();
    }
  });
});
