import { randomUUID } from 'node:crypto';
import type { EventInput } from '@gittix/common';
import {
  orderCancelledData,
  orderCreatedData,
  startTestService,
  waitFor,
} from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsService } from '../src/service.js';
import { type MailTransport, smtpTransport } from '../src/smtp.js';
import {
  createNotificationsFixture,
  heldOrderData,
  type NotificationsFixture,
  PUBLIC_URL,
  paymentCapturedData,
  tokenRequestData,
} from './fixtures.js';
import { startTestSmtpServer } from './smtp-server.js';

const FROM = 'GitTix <no-reply@gittix.local>';

describe('notifications: delivery when SMTP misbehaves', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fixture(options: Parameters<typeof createNotificationsFixture>[0] = {}) {
    const n = await createNotificationsFixture(options);
    cleanups.push(() => n.close());
    return n;
  }
  async function smtpServer() {
    const smtp = await startTestSmtpServer();
    cleanups.push(() => smtp.stop());
    return smtp;
  }
  const payout = (n: NotificationsFixture, userId: string) =>
    n.publish('payout.paid', { id: randomUUID(), userId, amount: 10 });

  it('when the SMTP server is down, then emails wait, are retried, and each arrives once it is back', async () => {
    const n = await fixture();
    const users = [await n.knownUser(), await n.knownUser(), await n.knownUser()];
    await n.smtp.stop();
    for (const user of users) await payout(n, user.id);
    // Three failed tries of each, counted once each failure is recorded.
    await waitFor(
      async () =>
        (await n.metric('gittix_emails_failed_total', { kind: 'payout', outcome: 'retry' })) >= 9,
      { message: 'three failed tries of each email' },
    );
    expect(n.smtp.received).toEqual([]);
    expect((await n.emailRows()).every((r) => r.last_error && !r.failed_at)).toBe(true);

    await n.smtp.start();
    await waitFor(async () => (await n.unsent()) === 0, {
      timeoutMs: 15_000,
      message: 'every email sent after the outage',
    });
    for (const user of users) expect(n.smtp.to(user.email)).toHaveLength(1);
    expect(n.smtp.received).toHaveLength(3);
  });

  it('when the SMTP server is down until after a hold ends, then its hold email is given up as stale, never sent, and the others still go', async () => {
    const n = await fixture();
    const buyer = await n.knownUser();
    await n.smtp.stop();
    const order = orderCreatedData({
      userId: buyer.id,
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    const held = await n.publish('order.created', order);
    const row = await waitFor(
      async () => (await n.emailRows()).find((r) => r.event_id === held.id && r.failed_at),
      { message: 'the hold email given up once its hold ended' },
    );
    expect(row).toMatchObject({ kind: 'hold_placed', sent_at: null });
    expect(row.last_error).toMatch(/out of date/);
    expect(
      await n.metric('gittix_emails_failed_total', { kind: 'hold_placed', outcome: 'stale' }),
    ).toBe(1);

    await n.smtp.start();
    await payout(n, buyer.id);
    await waitFor(() => n.smtp.to(buyer.email).length === 1, { message: 'the payout email' });
    expect(n.smtp.to(buyer.email).map((e) => e.subject)).not.toContainEqual(
      expect.stringMatching(/on hold/),
    );
  });

  it('when an order is cancelled before its hold email could go, then the hold email is given up, never sent', async () => {
    const n = await fixture();
    const buyer = await n.knownUser();
    await n.smtp.stop();
    // The hold email waits for the SMTP server (or for a buyer not known yet)...
    const order = heldOrderData(buyer.id, randomUUID(), 'Cancelled gig');
    const held = await n.deliver('order.created', order);
    // ...and meanwhile the buyer cancels the order.
    await n.deliver('order.cancelled', orderCancelledData(order, 1, 'cancelled'));

    await n.smtp.start();
    await payout(n, buyer.id);
    await waitFor(() => n.smtp.to(buyer.email).some((e) => e.subject.startsWith('Payout')), {
      message: 'the payout email, after the outage',
    });
    const row = await waitFor(
      async () =>
        (await n.emailRows()).find((r) => r.event_id === held.id && (r.sent_at || r.failed_at)),
      { message: 'the hold email settled' },
    );
    expect(n.smtp.to(buyer.email).map((e) => e.subject)).not.toContainEqual(
      expect.stringMatching(/on hold/),
    );
    expect(row).toMatchObject({ kind: 'hold_placed', sent_at: null });
    expect(row.last_error).toMatch(/the order ended/);
    expect(
      await n.metric('gittix_emails_failed_total', { kind: 'hold_placed', outcome: 'stale' }),
    ).toBe(1);
  });

  it('when tickets refuses an order moments after it is placed, then its hold email is never sent: hold emails wait HOLD_EMAIL_DELAY_MS for that', async () => {
    const n = await fixture({ env: { HOLD_EMAIL_DELAY_MS: '3000' } });
    const buyer = await n.knownUser();
    const order = heldOrderData(buyer.id, randomUUID(), 'Gone in a moment');
    const held = await n.deliver('order.created', order);
    // An email queued after it goes out: the sender has been through everything due.
    await payout(n, buyer.id);
    await waitFor(() => n.smtp.to(buyer.email).length === 1, { message: 'the payout email' });
    // The ticket was sold a moment earlier: tickets refuses, orders cancels.
    await n.deliver('order.cancelled', orderCancelledData(order, 1, 'refused'));

    const row = await waitFor(
      async () => (await n.emailRows()).find((r) => r.event_id === held.id && r.failed_at),
      { message: 'the hold email given up' },
    );
    expect(row).toMatchObject({ kind: 'hold_placed', sent_at: null });
    expect(n.smtp.to(buyer.email).map((e) => e.subject)).toEqual([
      expect.stringMatching(/^Payout/),
    ]);
  });

  it('when the buyer pays before the hold email could go, then it never goes: no "pay by" after the receipt', async () => {
    const n = await fixture({ env: { HOLD_EMAIL_DELAY_MS: '3000' } });
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, 'Paid at once');
    const held = await n.deliver('order.created', order);
    await n.deliver('order.completed', {
      id: order.id,
      version: 1,
      userId: buyer.id,
      paymentId: randomUUID(),
      ticket: { id: order.ticket.id, price: 40, userId: seller.id, title: 'Paid at once' },
    });
    await n.deliver(
      'payment.captured',
      paymentCapturedData(order, seller.id) as EventInput<'payment.captured'>,
    );

    await waitFor(() => n.smtp.to(buyer.email).length === 1, { message: 'the receipt' });
    const row = await waitFor(
      async () => (await n.emailRows()).find((r) => r.event_id === held.id && r.failed_at),
      { message: 'the hold email given up' },
    );
    expect(row).toMatchObject({ kind: 'hold_placed', sent_at: null });
    expect(n.smtp.to(buyer.email).map((e) => e.subject)).toEqual(['Your ticket: Paid at once']);
  });

  it.each([
    ['after', 'before'],
    ['before', 'after'],
  ] as const)(
    'when the capture is handled %s the order.created, ahead of order.completed, then the hold email never goes either',
    async (_captureComes, createdComes) => {
      const n = await fixture({ env: { HOLD_EMAIL_DELAY_MS: '3000' } });
      const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
      const order = heldOrderData(buyer.id, seller.id, 'Captured first');
      const created = () => n.deliver('order.created', order);
      if (createdComes === 'before') await created();
      // Subjects are consumed apart: the capture can overtake the order's own events.
      await n.deliver(
        'payment.captured',
        paymentCapturedData(order, seller.id) as EventInput<'payment.captured'>,
      );
      if (createdComes === 'after') await created();
      await n.deliver('payout.paid', { id: randomUUID(), userId: buyer.id, amount: 10 });

      await waitFor(() => n.smtp.to(buyer.email).length === 2, { message: 'receipt and payout' });
      await waitFor(async () => (await n.emailRows()).every((r) => r.sent_at || r.failed_at), {
        message: 'every email sent or given up',
      });
      expect(
        n.smtp
          .to(buyer.email)
          .map((e) => e.subject)
          .sort(),
      ).toEqual([
        expect.stringMatching(/^Payout/),
        expect.stringMatching(/^Your ticket( receipt|: Captured first)$/),
      ]);
    },
  );

  it('when no refusal comes, then the hold email goes once HOLD_EMAIL_DELAY_MS has passed', async () => {
    const n = await fixture({ env: { HOLD_EMAIL_DELAY_MS: '300' } });
    const buyer = await n.knownUser();
    const held = await n.deliver('order.created', heldOrderData(buyer.id, randomUUID(), 'Kept'));
    await waitFor(() => n.smtp.to(buyer.email).length === 1, { message: 'the hold email' });
    // The server has the email before the sender records it as sent.
    const row = await waitFor(
      async () => (await n.emailRows()).find((r) => r.event_id === held.id && r.sent_at),
      { message: 'the hold email recorded as sent' },
    );
    expect(row.sent_at!.getTime() - row.created_at.getTime()).toBeGreaterThanOrEqual(300);
    expect(n.smtp.to(buyer.email)[0]!.subject).toMatch(/on hold/);
  });

  it('when an order was cancelled before its order.created is handled, then no hold email is queued', async () => {
    const n = await fixture();
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, 'Quick change of mind');
    await n.deliver('order.cancelled', orderCancelledData(order, 1, 'cancelled'));
    await n.deliver('order.created', order);
    await n.deliver('payout.paid', { id: randomUUID(), userId: buyer.id, amount: 10 });
    const rows = (await n.emailRows()).filter((r) => r.user_id === buyer.id);
    expect(rows.map((r) => r.kind)).toEqual(['payout']);
  });

  it('when the server refuses a recipient for good, then that email is given up and the others still go', async () => {
    const n = await fixture();
    n.smtp.rejectRecipients(/^bounce-/);
    const bouncing = await n.knownUser({ email: `bounce-${randomUUID().slice(0, 6)}@example.com` });
    const fine = await n.knownUser();
    const refused = await payout(n, bouncing.id);
    await payout(n, fine.id);
    await waitFor(() => n.smtp.to(fine.email).length === 1, { message: 'the deliverable email' });
    const row = await waitFor(async () =>
      (await n.emailRows()).find((r) => r.event_id === refused.id && r.failed_at),
    );
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/550/);
    expect(
      await n.metric('gittix_emails_failed_total', { kind: 'payout', outcome: 'rejected' }),
    ).toBe(1);
    expect(n.smtp.to(bouncing.email)).toEqual([]);
  });

  it('when a reset email is refused for good, then its token is not kept either', async () => {
    const n = await fixture();
    n.smtp.rejectRecipients(/^bounce-/);
    const user = await n.knownUser({ email: `bounce-${randomUUID().slice(0, 6)}@example.com` });
    const request = await n.publish(
      'user.password_reset_requested',
      tokenRequestData(n.config.EMAIL_TOKEN_KEY, 'user.password_reset_requested', user).data,
    );
    const row = await waitFor(async () =>
      (await n.emailRows()).find((r) => r.event_id === request.id && r.failed_at),
    );
    expect(row.last_error).toMatch(/550/);
    // Like a sent one: the link still works for its 30 minutes, so no copy stays here.
    expect([row.text, row.html]).toEqual([null, null]);
  });

  it('when a sender dies after the server accepted an email, then another resends it once, under the same Message-ID', async () => {
    const smtp = await smtpServer();
    const real = smtpTransport(smtp.url, FROM);
    let release: () => void = () => {};
    // Hands the email over, then hangs: a process frozen before it could mark it sent.
    const dying: MailTransport = {
      async send(email) {
        await real.send(email);
        await new Promise<void>((_, reject) => {
          release = () => reject(new Error('the process is gone'));
        });
      },
      close: () => real.close(),
    };
    const first = await fixture({ smtp, parts: { transport: dying, sender: { claimMs: 500 } } });
    const user = await first.knownUser();
    const event = await payout(first, user.id);
    await waitFor(() => smtp.to(user.email).length === 1, { message: 'the first copy' });

    const second = await startTestService(notificationsService, {
      environment: first.environment,
      env: { SMTP_URL: smtp.url, PUBLIC_URL },
      parts: { sender: { pollIntervalMs: 50, claimMs: 500 } },
    });
    cleanups.push(async () => {
      release();
      await second.close();
    });
    await waitFor(async () => (await first.unsent()) === 0, { message: 'the resend marked sent' });
    const copies = smtp.to(user.email);
    expect(copies).toHaveLength(2);
    expect(copies[0]!.messageId).toBe(`<${event.id}.payout@gittix.local>`);
    expect(copies[1]!.messageId).toBe(copies[0]!.messageId);
    release();
  });

  it('when two replicas send at once, then every email goes out exactly once', async () => {
    const smtp = await smtpServer();
    const a = await fixture({ smtp });
    const b = await startTestService(notificationsService, {
      environment: a.environment,
      env: { SMTP_URL: smtp.url, PUBLIC_URL },
      parts: { sender: { pollIntervalMs: 20, batchSize: 3 } },
    });
    cleanups.push(() => b.close());
    await b.startConsumers();
    const user = await a.knownUser();
    // Parked emails released at once: both senders find 30 due rows together.
    const events = [];
    for (let i = 0; i < 30; i += 1) {
      events.push(
        await a.deliver('payout.paid', { id: randomUUID(), userId: randomUUID(), amount: i + 1 }),
      );
    }
    await sql`UPDATE emails SET user_id = ${user.id} WHERE to_address IS NULL`.execute(a.db);
    await a.deliver('user.updated', { ...user, version: 1 });
    await waitFor(async () => (await a.unsent()) === 0, {
      timeoutMs: 20_000,
      message: 'all 30 sent',
    });
    const ids = smtp.to(user.email).map((e) => e.messageId);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });
});
