import { randomUUID } from 'node:crypto';
import { waitFor } from '@gittix/common/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileNews, recordFile, recordSale } from '../src/tickets.js';
import { createNotificationsFixture, type NotificationsFixture } from './fixtures.js';

/**
 * The receipt (payment.captured) and the file's arrival (ticket.file_attached) are
 * handled by two consumers, each in its own transaction: whichever commits second
 * must see the first, or the buyer hears of the download in neither email.
 */
describe('notifications: a ticket file racing its sale', () => {
  let n: NotificationsFixture;

  beforeAll(async () => {
    n = await createNotificationsFixture();
  });
  afterAll(() => n?.close());

  /** Waits until a statement of this database waits for a lock another transaction holds. */
  const someoneWaits = () =>
    waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(n.db);
        return rows[0]!.n > 0;
      },
      { message: 'the second transaction waits for the first' },
    );

  /** Runs `second` while the sale of `ticketId` is recorded but not committed yet. */
  async function duringSale<T>(ticketId: string, second: () => Promise<T>): Promise<T> {
    let result: Promise<T> | undefined;
    await n.db.transaction().execute(async (trx) => {
      await recordSale(trx, ticketId, { orderId: randomUUID(), buyerId: randomUUID() });
      result = second();
      await someoneWaits();
    });
    return result!;
  }

  const fileArrives = (ticketId: string) =>
    n.db.transaction().execute((trx) => recordFile(trx, ticketId));

  it('when the first file arrives while the sale is being recorded, then it waits and sees the sale', async () => {
    const ticketId = randomUUID();
    const news: FileNews = await duringSale(ticketId, () => fileArrives(ticketId));
    expect(news.hadFile).toBe(false);
    expect(news.sale).not.toBeNull();
  });

  it('when a replacement arrives while the sale is being recorded, then it waits and sees the sale', async () => {
    const ticketId = randomUUID();
    await fileArrives(ticketId);
    const news = await duringSale(ticketId, () => fileArrives(ticketId));
    expect(news.hadFile).toBe(true);
    expect(news.sale).not.toBeNull();
  });

  it('when the sale is recorded while the file is, then the sale waits and sees the file', async () => {
    const ticketId = randomUUID();
    let sale: Promise<{ hasFile: boolean }> | undefined;
    await n.db.transaction().execute(async (trx) => {
      await recordFile(trx, ticketId);
      sale = n.db
        .transaction()
        .execute((other) =>
          recordSale(other, ticketId, { orderId: randomUUID(), buyerId: randomUUID() }),
        );
      await someoneWaits();
    });
    expect(await sale!).toEqual({ hasFile: true });
  });
});
