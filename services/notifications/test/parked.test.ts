import { randomUUID } from 'node:crypto';
import type { EventInput } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
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
    'when %s, %s, %s, %s arrive in that order, then the buyer gets hold and receipt and the seller sold, once each',
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
      const unsent = async () =>
        (await n.emailRows()).filter(
          (r) => [buyer.id, seller.id].includes(r.user_id!) && !r.sent_at,
        );
      await waitFor(async () => (await unsent()).length === 0, {
        message: 'hold, receipt and sold emails sent',
      });
      expect(n.smtp.to(buyer.email)).toHaveLength(2);
      expect(n.smtp.to(seller.email)).toHaveLength(1);
      const subjects = n.smtp
        .to(buyer.email)
        .map((e) => e.subject)
        .sort();
      expect(subjects[0]).toMatch(/^Your ticket is on hold/);
      // Captured before the order was seen: the receipt does without the title.
      expect(subjects[1]).toMatch(/^Your ticket(: Any order| receipt)$/);
      expect(n.smtp.to(seller.email)[0]!.subject).toMatch(/^Sold/);
    },
  );
});
