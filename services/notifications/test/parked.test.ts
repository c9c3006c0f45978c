import { randomUUID } from 'node:crypto';
import type { EventInput } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotificationsFixture,
  heldOrderData,
  type NotificationsFixture,
  paymentCapturedData,
  userData,
} from './fixtures.js';

/** Every order of `items`. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('notifications: emails whose recipient is not known yet', () => {
  let n: NotificationsFixture;

  beforeAll(async () => {
    n = await createNotificationsFixture();
  });
  afterAll(() => n?.close());

  it('when an email event comes before its user, then the email waits and goes out once the user arrives', async () => {
    const seller = userData();
    await n.deliver('payout.paid', { id: randomUUID(), userId: seller.id, amount: 12 });
    const [parked] = (await n.emailRows()).filter((r) => r.user_id === seller.id);
    expect(parked).toMatchObject({ to_address: null, sent_at: null, attempts: 0 });
    expect(await n.metric('gittix_emails_waiting', { state: 'parked' })).toBeGreaterThanOrEqual(1);

    await n.deliver('user.created', seller);
    await waitFor(() => n.smtp.to(seller.email).length === 1, { message: 'the parked email' });
    expect(n.smtp.to(seller.email)[0]!.subject).toBe('Payout of $12.00 sent');
  });

  it('when a parked email’s user does not arrive, then gittix_emails_oldest_waiting_age_seconds{state="parked"} shows how long it has waited', async () => {
    const seller = userData();
    await n.deliver('payout.paid', { id: randomUUID(), userId: seller.id, amount: 7 });
    // Two hours without the user's event (dead-lettered at auth's end, say).
    await sql`UPDATE emails SET created_at = now() - interval '2 hours'
      WHERE user_id = ${seller.id}`.execute(n.db);
    const parkedAge = () =>
      n.metric('gittix_emails_oldest_waiting_age_seconds', { state: 'parked' });
    expect(await parkedAge()).toBeGreaterThanOrEqual(2 * 3600);

    await n.deliver('user.created', seller);
    await waitFor(() => n.smtp.to(seller.email).length === 1, { message: 'the parked email' });
    expect(await parkedAge()).toBeLessThan(2 * 3600);
  });

  it('when a user and an email for them are handled at the same moment, then the email is not left parked', async () => {
    const users = Array.from({ length: 15 }, () => userData());
    // Two consumers, two transactions at once: neither may miss the other's row.
    await Promise.all(
      users.flatMap((user) => [
        n.publish('user.created', user),
        n.publish('payout.paid', { id: randomUUID(), userId: user.id, amount: 1 }),
      ]),
    );
    await waitFor(() => users.every((user) => n.smtp.to(user.email).length === 1), {
      message: 'an email to each of the 15 users',
    });
  });

  it('when a user changes address, then the newest version wins, whatever order the events come in', async () => {
    const user = userData({ email: `old-${randomUUID().slice(0, 6)}@example.com` });
    const moved = { ...user, version: 2, email: `new-${randomUUID().slice(0, 6)}@example.com` };
    // The update overtakes the creation, and an older update comes last.
    await n.deliver('user.updated', moved);
    await n.deliver('user.created', user);
    await n.deliver('user.updated', { ...user, version: 1, email: 'stale@example.com' });
    await n.deliver('payout.paid', { id: randomUUID(), userId: user.id, amount: 5 });
    await waitFor(() => n.smtp.to(moved.email).length === 1, {
      message: 'email to the new address',
    });
    expect(n.smtp.to(user.email)).toEqual([]);
    expect(n.smtp.to('stale@example.com')).toEqual([]);
  });

  it.each(permutations(['buyer', 'seller', 'order', 'capture'] as const))(
    'when %s, %s, %s, %s arrive in that order, then the buyer gets the receipt and the seller sold, once each, and no hold email comes after the receipt',
    async (...sequence) => {
      const buyer = userData();
      const seller = userData();
      const order = heldOrderData(buyer.id, seller.id, 'Any order');
      const events: Record<(typeof sequence)[number], () => Promise<unknown>> = {
        buyer: () => n.deliver('user.created', buyer),
        seller: () => n.deliver('user.created', seller),
        order: () => n.deliver('order.created', order),
        capture: () =>
          n.deliver(
            'payment.captured',
            paymentCapturedData(order, seller.id) as EventInput<'payment.captured'>,
          ),
      };
      for (const step of sequence) await events[step]();
      const waiting = async () =>
        (await n.emailRows()).filter(
          (r) => [buyer.id, seller.id].includes(r.user_id!) && !r.sent_at && !r.failed_at,
        );
      await waitFor(async () => (await waiting()).length === 0, {
        message: 'every email sent or given up',
      });
      const rows = (await n.emailRows()).filter((r) => r.user_id === buyer.id);
      const receipt = rows.find((r) => r.kind === 'receipt');
      expect(receipt?.sent_at).toBeTruthy();
      // A hold email goes only while the hold stands: sent before the capture was
      // handled, or given up by it, never after the receipt.
      for (const hold of rows.filter((r) => r.kind === 'hold_placed')) {
        if (hold.sent_at) expect(hold.sent_at.getTime()).toBeLessThan(receipt!.sent_at!.getTime());
        else expect(hold.failed_at).toBeTruthy();
      }
      const subjects = n.smtp.to(buyer.email).map((e) => e.subject);
      expect(subjects.filter((s) => !/^Your ticket is on hold/.test(s))).toEqual([
        // Captured before the order was seen: the receipt does without the title.
        expect.stringMatching(/^Your ticket(: Any order| receipt)$/),
      ]);
      expect(n.smtp.to(seller.email).map((e) => e.subject)).toEqual([
        expect.stringMatching(/^Sold/),
      ]);
    },
  );
});
