import { randomUUID } from 'node:crypto';
import { orderCreatedData, paymentRefundedData, waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotificationsFixture,
  heldOrderData,
  type NotificationsFixture,
  PUBLIC_URL,
  paymentCapturedData,
  tokenRequestData,
} from './fixtures.js';

describe('notifications: an email for every step', () => {
  let n: NotificationsFixture;

  beforeAll(async () => {
    n = await createNotificationsFixture();
  });
  afterAll(() => n?.close());

  const arrived = (address: string, count = 1) =>
    waitFor(() => n.smtp.to(address).length >= count && n.smtp.to(address), {
      message: `${count} email(s) to ${address}`,
    });

  it('when a verification is requested, then the address it names gets the link with the token', async () => {
    const user = await n.knownUser();
    const request = tokenRequestData(n.config.EMAIL_TOKEN_KEY, 'user.verification_requested', {
      id: user.id,
      email: 'other-address@example.com',
    });
    await n.publish('user.verification_requested', request.data);
    const [email] = await arrived('other-address@example.com');
    expect(email!.subject).toBe('Verify your email');
    expect(email!.from).toBe('no-reply@gittix.local');
    expect(email!.text).toContain(`${PUBLIC_URL}/auth/verify?token=${request.token}`);
    expect(email!.html).toContain(`href="${PUBLIC_URL}/auth/verify?token=${request.token}"`);
  });

  it('when a reset is requested, then the user gets the reset link', async () => {
    const user = await n.knownUser();
    const request = tokenRequestData(
      n.config.EMAIL_TOKEN_KEY,
      'user.password_reset_requested',
      user,
    );
    await n.publish('user.password_reset_requested', request.data);
    const [email] = await arrived(user.email);
    expect(email!.subject).toBe('Reset your password');
    expect(email!.text).toContain(`${PUBLIC_URL}/auth/reset?token=${request.token}`);
  });

  it('when a token email has been sent, then its body is no longer kept (the token opens the account)', async () => {
    const user = await n.knownUser();
    const event = await n.publish(
      'user.password_reset_requested',
      tokenRequestData(n.config.EMAIL_TOKEN_KEY, 'user.password_reset_requested', user).data,
    );
    await arrived(user.email);
    const row = await waitFor(async () => {
      const rows = await n.emailRows();
      return rows.find((r) => r.event_id === event.id && r.sent_at !== null);
    });
    expect([row.text, row.html]).toEqual([null, null]);
    expect(row.subject).toBe('Reset your password');
  });

  it('when an order is placed, then the buyer is told the ticket is on hold and until when', async () => {
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, 'Jazz night');
    await n.publish('order.created', order);
    const [email] = await arrived(buyer.email);
    expect(email!.subject).toMatch(
      /^Your ticket is on hold: pay by \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/,
    );
    expect(email!.text).toContain('Jazz night');
    expect(email!.text).toContain(`${PUBLIC_URL}/orders/${order.id}`);
    expect(n.smtp.to(seller.email)).toEqual([]);
  });

  it('when an order event arrives after its hold ran out, then no hold email goes out', async () => {
    const buyer = await n.knownUser();
    const late = orderCreatedData({
      userId: buyer.id,
      expiresAt: new Date(Date.now() - 1_000).toISOString(),
    });
    await n.deliver('order.created', late);
    const rows = await n.emailRows();
    expect(rows.filter((r) => r.user_id === buyer.id)).toEqual([]);
  });

  it('when a payment is captured, then the buyer gets the receipt and the seller the proceeds', async () => {
    // The hold email first: a capture handled before it goes gives it up.
    const { buyer, seller, order } = await heldOrder('Opera <gala>');
    await n.publish(
      'payment.captured',
      paymentCapturedData(order, seller.id, { amount: 40, fee: 4.4 }),
    );
    const receipt = (await arrived(buyer.email, 2)).find((e) =>
      e.subject.startsWith('Your ticket:'),
    );
    expect(receipt!.subject).toBe('Your ticket: Opera <gala>');
    expect(receipt!.text).toContain(`${PUBLIC_URL}/orders/${order.id}`);
    expect(receipt!.html).toContain('Opera &lt;gala&gt;');
    const [sold] = await arrived(seller.email);
    expect(sold!.subject).toBe('Sold: Opera <gala>');
    expect(sold!.text).toContain('Your proceeds: $35.60');
  });

  /** A held order for a ticket of a new seller, and its buyer; both users known. */
  async function heldOrder(title: string) {
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, title);
    await n.deliver('order.created', order);
    await arrived(buyer.email);
    return { buyer, seller, order };
  }

  const fileAttached = (order: { ticket: { id: string } }, sellerId: string, replaced = false) => ({
    ticketId: order.ticket.id,
    userId: sellerId,
    replaced,
  });

  it('when the ticket file is attached (and replaced) before the payment is captured, then the receipt links to the download and nothing else follows', async () => {
    const { buyer, seller, order } = await heldOrder('Ballet');
    await n.deliver('ticket.file_attached', fileAttached(order, seller.id));
    // A replacement before anyone bought the ticket tells no one.
    await n.deliver('ticket.file_attached', fileAttached(order, seller.id, true));
    await n.deliver('payment.captured', paymentCapturedData(order, seller.id));
    const receipt = (await arrived(buyer.email, 2))[1]!;
    expect(receipt.subject).toBe('Your ticket: Ballet');
    expect(receipt.text).toContain(`Download your ticket: ${PUBLIC_URL}/tickets/purchased`);
    expect(receipt.text).toContain('Your ticket is ready');
    const rows = await n.emailRows();
    expect(rows.filter((r) => r.user_id === buyer.id).map((r) => r.kind)).toEqual([
      'hold_placed',
      'receipt',
    ]);
  });

  it('when the ticket file comes after the receipt, then the receipt says it will follow and the buyer is emailed when it does, and again when it is replaced', async () => {
    const { buyer, seller, order } = await heldOrder('Circus');
    await n.deliver('payment.captured', paymentCapturedData(order, seller.id));
    const receipt = (await arrived(buyer.email, 2))[1]!;
    expect(receipt.subject).toBe('Your ticket: Circus');
    expect(receipt.text).not.toContain('/tickets/purchased');
    expect(receipt.text).toContain('We will email you as soon as they do');

    await n.deliver('ticket.file_attached', fileAttached(order, seller.id));
    const ready = (await arrived(buyer.email, 3))[2]!;
    expect(ready.subject).toBe('Your ticket is ready to download: Circus');
    expect(ready.text).toContain(`Download your ticket: ${PUBLIC_URL}/tickets/purchased`);
    expect(n.smtp.to(seller.email).map((e) => e.subject)).toEqual(['Sold: Circus']);

    await n.deliver('ticket.file_attached', fileAttached(order, seller.id, true));
    const replaced = (await arrived(buyer.email, 4))[3]!;
    expect(replaced.subject).toBe('Your ticket was replaced: Circus');
  });

  it('when the file and the capture arrive at the same moment, then each buyer hears of the download exactly once', async () => {
    const orders = await Promise.all(Array.from({ length: 12 }, (_, i) => heldOrder(`Race ${i}`)));
    await Promise.all(
      orders.flatMap(({ seller, order }) => [
        n.publish('ticket.file_attached', fileAttached(order, seller.id)),
        n.publish('payment.captured', paymentCapturedData(order, seller.id)),
      ]),
    );
    const told = (buyerId: string, rows: Awaited<ReturnType<typeof n.emailRows>>) =>
      rows.filter(
        (r) =>
          r.user_id === buyerId &&
          ((r.kind === 'receipt' && r.text?.includes('Download your ticket')) ||
            r.kind === 'ticket_ready'),
      ).length;
    await waitFor(
      async () => {
        const rows = await n.emailRows();
        return orders.every(({ buyer }) =>
          rows.some((r) => r.user_id === buyer.id && r.kind === 'receipt'),
        );
      },
      { message: 'every receipt queued' },
    );
    // Both events of each ticket are handled once the receipts are in and the file events
    // are. Only this test's tickets count: the file's earlier tests sold some with files too.
    const ticketIds = orders.map(({ order }) => order.ticket.id);
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM tickets
          WHERE has_file AND order_id IS NOT NULL AND id = ANY(${ticketIds}::uuid[])`.execute(n.db);
        return rows[0]!.n === orders.length;
      },
      { message: 'every file and sale recorded' },
    );
    const rows = await n.emailRows();
    expect(orders.map(({ buyer }) => told(buyer.id, rows))).toEqual(orders.map(() => 1));
  });

  it('when a hold expires, then the buyer is told; a buyer cancelling or a refusal sends nothing', async () => {
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const expired = heldOrderData(buyer.id, seller.id, 'Expired show');
    const cancelled = heldOrderData(buyer.id, seller.id, 'Cancelled show');
    const refused = heldOrderData(buyer.id, seller.id, 'Refused show');
    for (const order of [expired, cancelled, refused]) await n.deliver('order.created', order);
    await arrived(buyer.email, 3);
    await n.deliver('order.cancelled', { ...cancel(cancelled), reason: 'cancelled' });
    await n.deliver('order.cancelled', { ...cancel(refused), reason: 'refused' });
    await n.publish('order.cancelled', { ...cancel(expired), reason: 'expired' });
    const emails = await arrived(buyer.email, 4);
    const last = emails.at(-1)!;
    expect(last.subject).toBe('Your hold has expired: Expired show');
    expect(last.text).toContain(`${PUBLIC_URL}/tickets/${expired.ticket.id}`);
    await waitFor(async () => (await n.unsent()) === 0, { message: 'every email marked sent' });
    expect(n.smtp.to(buyer.email)).toHaveLength(4);
  });

  it("when a payment is given back by the buyer's chargeback, then they are told their card issuer returned it, not that GitTix refunds it", async () => {
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, 'Jazz night');
    await n.deliver('order.created', order);
    await arrived(buyer.email);
    await n.deliver(
      'payment.refunded',
      paymentRefundedData({
        orderId: order.id,
        userId: buyer.id,
        ticketId: order.ticket.id,
        amount: 30,
        by: 'chargeback',
      }),
    );
    const returned = (await arrived(buyer.email, 2))[1]!;
    expect(returned.subject).toBe('Your payment for Jazz night was returned by your card issuer');
    expect(returned.text).toContain('returned the $30.00 to you');
    expect(returned.text).not.toContain('We have refunded');
    expect(returned.text).toContain(`${PUBLIC_URL}/orders/${order.id}`);
  });

  it('when a payout is paid, then the seller is told the amount', async () => {
    const seller = await n.knownUser();
    await n.publish('payout.paid', { id: randomUUID(), userId: seller.id, amount: 1234.5 });
    const [email] = await arrived(seller.email);
    expect(email!.subject).toBe('Payout of $1,234.50 sent');
    expect(email!.text).toContain(`${PUBLIC_URL}/payouts`);
  });

  it('when a payment is refunded, then the buyer is told, once, that their payment for the ticket was refunded', async () => {
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, 'Opera <gala>');
    await n.deliver('order.created', order);
    await arrived(buyer.email);
    const refund = await n.deliver(
      'payment.refunded',
      paymentRefundedData({
        orderId: order.id,
        userId: buyer.id,
        ticketId: order.ticket.id,
        amount: 40,
      }),
    );
    const refunded = (await arrived(buyer.email, 2))[1]!;
    expect(refunded.subject).toBe('Your payment for Opera <gala> was refunded');
    expect(refunded.text).toContain('We have refunded the $40.00 you paid for Opera <gala>.');
    expect(refunded.text).toContain(`${PUBLIC_URL}/orders/${order.id}`);
    expect(refunded.html).toContain('Opera &lt;gala&gt;');
    expect(n.smtp.to(seller.email)).toEqual([]);

    const bus = await n.environment.bus();
    await bus.js.publish(bus.subjectOf('payment.refunded'), JSON.stringify(refund), {
      msgID: randomUUID(),
    });
    await waitFor(() => n.caughtUp('payment.refunded'), { message: 'the copy handled' });
    const buyersRows = async () => (await n.emailRows()).filter((r) => r.user_id === buyer.id);
    await waitFor(async () => (await buyersRows()).every((r) => r.sent_at !== null), {
      message: "the buyer's emails marked sent",
    });
    expect((await buyersRows()).map((r) => r.kind)).toEqual(['hold_placed', 'refunded']);
    expect(n.smtp.to(buyer.email)).toHaveLength(2);
  });

  it('when part of a payment is refunded, then the buyer is told the part and the total, and the seller what came off their proceeds; no cut named tells the buyer alone', async () => {
    const [buyer, seller] = [await n.knownUser(), await n.knownUser()];
    const order = heldOrderData(buyer.id, seller.id, 'Opera');
    await n.deliver('order.created', order);
    await arrived(buyer.email);
    const part = {
      id: randomUUID(),
      orderId: order.id,
      userId: buyer.id,
      sellerId: seller.id,
      ticketId: order.ticket.id,
      amount: 10,
      refunded: 10,
      sellerAmount: 9,
      by: 'refund' as const,
    };
    await n.deliver('payment.partly_refunded', part);
    const toBuyer = (await arrived(buyer.email, 2))[1]!;
    expect(toBuyer.subject).toBe('Part of your payment for Opera was refunded');
    expect(toBuyer.text).toContain('We have refunded $10.00 of what you paid for Opera.');
    expect(toBuyer.text).toContain(`${PUBLIC_URL}/orders/${order.id}`);
    const [toSeller] = await arrived(seller.email);
    expect(toSeller!.subject).toBe('Part of your sale of Opera was given back');
    expect(toSeller!.text).toContain('your proceeds are cut by $9.00');

    // A second part of a sale with no proceeds posted (no cut named): the buyer alone.
    await n.deliver('payment.partly_refunded', {
      ...part,
      amount: 5,
      refunded: 15,
      sellerAmount: null,
    });
    const second = (await arrived(buyer.email, 3))[2]!;
    expect(second.text).toContain('$15.00');
    expect(n.smtp.to(seller.email)).toHaveLength(1);
  });

  it('when the same event is delivered again and again, then its email goes out once', async () => {
    const seller = await n.knownUser();
    const event = await n.publish('payout.paid', {
      id: randomUUID(),
      userId: seller.id,
      amount: 7,
    });
    await arrived(seller.email);
    // New Nats-Msg-Ids, so the broker keeps each copy; some arrive while the first is being sent.
    const bus = await n.environment.bus();
    await Promise.all(
      Array.from({ length: 5 }, () =>
        bus.js.publish(bus.subjectOf('payout.paid'), JSON.stringify(event), {
          msgID: randomUUID(),
        }),
      ),
    );
    await waitFor(() => n.caughtUp('payout.paid'), { message: 'the copies handled' });
    expect(n.smtp.to(seller.email)).toHaveLength(1);
    const rows = (await n.emailRows()).filter((r) => r.event_id === event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.message_id).toBe(`<${event.id}.payout@gittix.local>`);
    expect(n.smtp.to(seller.email)[0]!.messageId).toBe(rows[0]!.message_id);
  });

  it('when emails are sent, then /metrics counts them by kind', async () => {
    const seller = await n.knownUser();
    const before = await n.metric('gittix_emails_sent_total', { kind: 'payout' });
    await n.publish('payout.paid', { id: randomUUID(), userId: seller.id, amount: 3 });
    await arrived(seller.email);
    await waitFor(
      async () => (await n.metric('gittix_emails_sent_total', { kind: 'payout' })) === before + 1,
      {
        message: 'gittix_emails_sent_total to count the payout email',
      },
    );
    // Counted when the server accepts it; marked sent just after.
    await waitFor(
      async () => (await n.metric('gittix_emails_waiting', { state: 'pending' })) === 0,
      {
        message: 'no email pending',
      },
    );
  });
});

function cancel(order: { id: string; userId: string; ticket: { id: string } }) {
  return { id: order.id, version: 1, ticket: { id: order.ticket.id }, userId: order.userId };
}
