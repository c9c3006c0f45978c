import { type ColumnType, type Kysely, type Migration, type Selectable, sql } from 'kysely';
import type { ProviderPaymentStatus } from './provider.js';

export interface SandboxHold {
  providerId: string;
  paymentId: string;
  amountCents: number;
  status: ProviderPaymentStatus;
  /** On the sandbox's clock: an authorized hold older than its lifetime is released. */
  authorizedAt: Date;
}

export interface RememberOptions {
  /** When, on the sandbox's clock. */
  at: Date;
  /** A result stored before this is forgotten (Stripe keeps a key 24 hours); absent: kept. */
  forgetBefore?: Date | undefined;
  /** The authorization made, stored with the result when the result is new. */
  hold?: SandboxHold | undefined;
}

/**
 * Where the sandbox keeps what a real provider keeps on its side: each
 * idempotency key's result and each authorization's state. In memory for tests;
 * in Postgres (tables of its own, written outside any of payments' transactions,
 * as Stripe's writes are) when the service runs, so a restarted payments process
 * still finds the holds it made, and chaos can compare provider and ledger.
 */
export interface SandboxStore {
  /** Stores `result` for `key` unless one is there (and not forgotten); returns the one that stands. */
  remember(key: string, result: string, options: RememberOptions): Promise<string>;
  /** The result stored for `key` at or after `forgetBefore`, if any. */
  recall(key: string, forgetBefore?: Date): Promise<string | undefined>;
  hold(providerId: string): Promise<SandboxHold | undefined>;
  holdOfPayment(paymentId: string): Promise<SandboxHold | undefined>;
  /** Moves a hold from one of `from` to `to`; false when it was in none of them. */
  move(
    providerId: string,
    from: ProviderPaymentStatus[],
    to: ProviderPaymentStatus,
  ): Promise<boolean>;
  /** Releases (voids) the authorized holds made before `authorizedBefore`: one, or all. */
  expire(authorizedBefore: Date, providerId?: string): Promise<void>;
  holds(): Promise<SandboxHold[]>;
}

export class MemorySandboxStore implements SandboxStore {
  private readonly results = new Map<string, { result: string; at: Date }>();
  private readonly byId = new Map<string, SandboxHold>();

  async remember(key: string, result: string, { at, forgetBefore, hold }: RememberOptions) {
    const existing = await this.recall(key, forgetBefore);
    if (existing !== undefined) return existing;
    this.results.set(key, { result, at });
    if (hold) this.byId.set(hold.providerId, { ...hold });
    return result;
  }
  async recall(key: string, forgetBefore?: Date) {
    const stored = this.results.get(key);
    if (!stored || (forgetBefore && stored.at < forgetBefore)) return undefined;
    return stored.result;
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
  async expire(authorizedBefore: Date, providerId?: string) {
    for (const hold of this.byId.values()) {
      if (providerId !== undefined && hold.providerId !== providerId) continue;
      if (hold.status === 'authorized' && hold.authorizedAt < authorizedBefore) {
        hold.status = 'voided';
      }
    }
  }
  async holds() {
    return [...this.byId.values()].map((hold) => ({ ...hold }));
  }
}

/** The sandbox's own tables (not payments' data), made by payments' migrations. */
export interface SandboxTables {
  sandbox_results: { key: string; result: string; stored_at: ColumnType<Date, Date | undefined> };
  sandbox_holds: {
    provider_id: string;
    payment_id: string;
    amount_cents: number;
    status: string;
    authorized_at: ColumnType<Date, Date | undefined>;
  };
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

/**
 * When each key was stored and each hold authorized, so the sandbox forgets keys and
 * releases holds as Stripe does. Rows of an older release count from the upgrade.
 */
export const sandboxClockMigration: Migration = {
  async up(db) {
    await sql`ALTER TABLE sandbox_results ADD COLUMN IF NOT EXISTS stored_at timestamptz NOT NULL DEFAULT now()`.execute(
      db,
    );
    await sql`ALTER TABLE sandbox_holds ADD COLUMN IF NOT EXISTS authorized_at timestamptz NOT NULL DEFAULT now()`.execute(
      db,
    );
  },
  async down(db) {
    await sql`ALTER TABLE sandbox_holds DROP COLUMN IF EXISTS authorized_at`.execute(db);
    await sql`ALTER TABLE sandbox_results DROP COLUMN IF EXISTS stored_at`.execute(db);
  },
};

export class PostgresSandboxStore implements SandboxStore {
  constructor(private readonly db: Kysely<SandboxTables>) {}

  async remember(key: string, result: string, { at, forgetBefore, hold }: RememberOptions) {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('sandbox_results')
        .values({ key, result, stored_at: at })
        .onConflict((c) =>
          forgetBefore
            ? c
                .column('key')
                .doUpdateSet({ result, stored_at: at })
                .where('sandbox_results.stored_at', '<', forgetBefore)
            : c.column('key').doNothing(),
        )
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
            authorized_at: hold.authorizedAt,
          })
          .execute();
      }
      return result;
    });
  }

  async recall(key: string, forgetBefore?: Date) {
    const row = await this.db
      .selectFrom('sandbox_results')
      .select('result')
      .where('key', '=', key)
      .$if(forgetBefore !== undefined, (q) => q.where('stored_at', '>=', forgetBefore!))
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

  async expire(authorizedBefore: Date, providerId?: string) {
    await this.db
      .updateTable('sandbox_holds')
      .set({ status: 'voided' })
      .where('status', '=', 'authorized')
      .where('authorized_at', '<', authorizedBefore)
      .$if(providerId !== undefined, (q) => q.where('provider_id', '=', providerId!))
      .execute();
  }

  async holds() {
    return (await this.db.selectFrom('sandbox_holds').selectAll().execute()).map(toHold);
  }
}

function toHold(row: Selectable<SandboxTables['sandbox_holds']>): SandboxHold {
  return {
    providerId: row.provider_id,
    paymentId: row.payment_id,
    amountCents: row.amount_cents,
    status: row.status as ProviderPaymentStatus,
    authorizedAt: row.authorized_at,
  };
}
