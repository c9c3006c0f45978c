import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payoutLines, post } from '../src/ledger.js';
import { recordProcessingFee } from '../src/processing-fees.js';
import { createPaymentsFixture, type PaymentsFixture } from './fixtures.js';

/** The query of docs/payments.md's "Reconciling with Stripe", as an operator copies it. */
function documentedQuery(): string {
  const doc = readFileSync(new URL('../../../docs/payments.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('**Reconciling with Stripe.**'));
  const query = /```sql\n([\s\S]+?)```/.exec(section)?.[1];
  if (!query) throw new Error('docs/payments.md has no sql block under "Reconciling with Stripe"');
  return query;
}

describe("the ledger report of docs/payments.md (its own database: one sale, Stripe's fee, a payout)", () => {
  let fx: PaymentsFixture;

  beforeAll(async () => {
    fx = await createPaymentsFixture();
  });
  afterAll(() => fx?.close());

  it('when an operator runs the documented query, then it gives each platform account, the sellers together, and what Stripe holds', async () => {
    const { order, paid } = await fx.capturedSale();
    const sellerId = order.ticket.userId!;
    // What Stripe would have kept of it (the sandbox keeps nothing), and $20.00 paid out.
    expect(await recordProcessingFee(fx.db, paid.id, 104)).toBe(true);
    await fx.db
      .transaction()
      .execute((trx) =>
        post(trx, payoutLines({ sellerId, amountCents: 2000, availableAt: new Date() }), {}),
      );

    const { rows } = await sql
      .raw<{ account: string; cents: string }>(documentedQuery())
      .execute(fx.db);
    expect(rows.map((row) => [row.account, Number(row.cents)])).toEqual([
      ['platform:fees', 255],
      ['platform:processing', -104],
      // Stripe holds $25.50 less its $1.04 and the $20.00 sent on: $4.46.
      ['provider', -2550 + 104 + 2000],
      ['sellers', 2295 - 2000],
    ]);
  });
});
