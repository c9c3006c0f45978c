import { type Kysely, type Migration, sql } from 'kysely';
import type { ProviderPaymentStatus } from './provider.js';

export interface SandboxHold {
  providerId: string;
  paymentId: string;
  amountCents: number;
  status: ProviderPaymentStatus;
}

/**
 * Where the sandbox keeps what a real provider keeps on its side: each
 * idempotency key's result and each authorization's state. In memory for tests;
 * in Postgres (tables of its own, written outside any of payments' transactions,
 * as Stripe's writes are) when the service runs, so a restarted payments process
 * still finds the holds it made, and chaos can compare provider and ledger.
 */
export interface SandboxStore {
  /** Stores `result` for `key` unless one is there; returns the one that stands. */
  remember(key: string, result: string, hold?: SandboxHold): Promise<string>;
  /** The result stored for `key`, if any. */
  recall(key: string): Promise<string | undefined>;
  hold(providerId: string): Promise<SandboxHold | undefined>;
  holdOfPayment(paymentId: string): Promise<SandboxHold | undefined>;
  /** Moves a hold from one of `from` to `to`; false when it was in none of them. */
  move(
    providerId: string,
    from: ProviderPaymentStatus[],
    to: ProviderPaymentStatus,
  ): Promise<boolean>;
  holds(): Promise<SandboxHold[]>;
}

export class MemorySandboxStore implements SandboxStore {
  private readonly results = new Map<string, string>();
  private readonly byId = new Map<string, SandboxHold>();

  async remember(key: string, result: string, hold?: SandboxHold) {
    const existing = this.results.get(key);
    if (existing !== undefined) return existing;
    this.results.set(key, result);
    if (hold) this.byId.set(hold.providerId, { ...hold });
    return result;
  }
  async recall(key: string) {
    return this.results.get(key);
  }
  async hold(providerId: string) {
    const hold = this.byId.get(providerId);
    return hold && { ...hold };
  }
  async holdOfPayment(paymentId: string) {
    for (const hold of this.byId.values()) if (hold.paymentId === paymentId) return { ...hold };
    return undefined;
  }
  async move(providerId: string, from: ProviderPaymentStatus[], to: ProviderPaymentStatus) {
    const hold = this.byId.get(providerId);
    if (!hold || !from.includes(hold.status)) return false;
    hold.status = to;
    return true;
  }
  async holds() {
    return [...this.byId.values()].map((hold) => ({ ...hold }));
  }
}

/** The sandbox's own tables (not payments' data), made by payments' migrations. */
export interface SandboxTables {
  sandbox_results: { key: string; result: string };
  sandbox_holds: { provider_id: string; payment_id: string; amount_cents: number; status: string };
}

/**
 * The sandbox's tables, as a migration: the service's runtime role may not create
 * tables (docs/security.md), so they no longer appear on first use. IF NOT EXISTS:
 * a database of an older release already has them.
 */
export const sandboxTablesMigration: Migration = {
  async up(db) {
    await sql`CREATE TABLE IF NOT EXISTS sandbox_results (key text PRIMARY KEY, result text NOT NULL)`.execute(
      db,
    );
    await sql`CREATE TABLE IF NOT EXISTS sandbox_holds (
      provider_id text PRIMARY KEY, payment_id uuid NOT NULL,
      amount_cents integer NOT NULL, status text NOT NULL)`.execute(db);
  },
  async down(db) {
    await sql`DROP TABLE IF EXISTS sandbox_holds`.execute(db);
    await sql`DROP TABLE IF EXISTS sandbox_results`.execute(db);
  },
};

export class PostgresSandboxStore implements SandboxStore {
  constructor(private readonly db: Kysely<SandboxTables>) {}

  async remember(key: string, result: string, hold?: SandboxHold) {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('sandbox_results')
        .values({ key, result })
        .onConflict((c) => c.column('key').doNothing())
        .returning('result')
        .executeTakeFirst();
      if (!inserted) {
        const existing = await trx
          .selectFrom('sandbox_results')
          .select('result')
          .where('key', '=', key)
          .executeTakeFirstOrThrow();
        return existing.result;
      }
      if (hold) {
        await trx
          .insertInto('sandbox_holds')
          .values({
            provider_id: hold.providerId,
            payment_id: hold.paymentId,
            amount_cents: hold.amountCents,
            status: hold.status,
          })
          .execute();
      }
      return result;
    });
  }

  async recall(key: string) {
    const row = await this.db
      .selectFrom('sandbox_results')
      .select('result')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.result;
  }

  async hold(providerId: string) {
    const row = await this.db
      .selectFrom('sandbox_holds')
      .selectAll()
      .where('provider_id', '=', providerId)
      .executeTakeFirst();
    return row && toHold(row);
  }

  async holdOfPayment(paymentId: string) {
    const row = await this.db
      .selectFrom('sandbox_holds')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .executeTakeFirst();
    return row && toHold(row);
  }

  async move(providerId: string, from: ProviderPaymentStatus[], to: ProviderPaymentStatus) {
    const moved = await this.db
      .updateTable('sandbox_holds')
      .set({ status: to })
      .where('provider_id', '=', providerId)
      .where('status', 'in', from)
      .returning('provider_id')
      .executeTakeFirst();
    return moved !== undefined;
  }

  async holds() {
    return (await this.db.selectFrom('sandbox_holds').selectAll().execute()).map(toHold);
  }
}

function toHold(row: SandboxTables['sandbox_holds']): SandboxHold {
  return {
    providerId: row.provider_id,
    paymentId: row.payment_id,
    amountCents: row.amount_cents,
    status: row.status as ProviderPaymentStatus,
  };
}
