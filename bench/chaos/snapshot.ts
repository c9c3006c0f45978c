import { EventBus, type Logger, NATS_ADMIN_USER, natsUser } from '@gittix/common';
import type { ConsumerInfo } from '@nats-io/jetstream';
import pg from 'pg';
import { databaseUrlOf, type SystemSettings } from '../../scripts/system/services.js';
import { type ExpirationQueue, openExpirationQueue } from '../harness/expiration-queue.js';
import {
  type DeadLetter,
  durableConsumers,
  readDeadLetters,
  readEvents,
  type StreamMessage,
} from './stream.js';

export const EVENT_DATABASES = ['tickets', 'orders', 'payments'] as const;
export type EventDatabase = (typeof EVENT_DATABASES)[number];

export interface OrderRow {
  id: string;
  ticket_id: string;
  status: string;
  payment_id: string | null;
  expires_at: Date;
  version: number;
}
export interface TicketRow {
  id: string;
  order_id: string | null;
  version: number;
}
export interface PaymentRow {
  id: string;
  order_id: string;
  /** `pending`, `authorized`, `captured`, `voided`, `refunded`. */
  status: string;
  amount_cents: number;
  fee_cents: number;
  provider_id: string | null;
  refunded_at: Date | null;
}
/** A line of payments' double-entry ledger. */
export interface LedgerRow {
  posting_id: string;
  account: string;
  amount_cents: number;
  kind: string;
  payment_id: string | null;
}
/** What the provider holds (the sandbox's own tables): one row per authorization. */
export interface ProviderChargeRow {
  provider_id: string;
  payment_id: string;
  amount_cents: number;
  status: string;
}
export interface OutboxRow {
  id: string;
  subject: string;
  sent_at: Date | null;
}

/** Everything the invariants are judged on, read straight from the services' stores. */
export interface Snapshot {
  orders: OrderRow[];
  /** The orders service's replica of tickets. */
  ordersTicketReplica: TicketRow[];
  tickets: TicketRow[];
  payments: PaymentRow[];
  /** The payments service's replica of orders. */
  paymentsOrderReplica: Array<{
    id: string;
    status: string;
    version: number;
    seller_id: string | null;
  }>;
  ledger: LedgerRow[];
  payouts: Array<{ id: string; user_id: string; amount_cents: number }>;
  /** The provider's side, when it can be read (the sandbox's tables); null with Stripe. */
  providerCharges: ProviderChargeRow[] | null;
  declines: number;
  outbox: Record<EventDatabase, OutboxRow[]>;
  /** Per database: consumer → handled event ids. */
  inbox: Record<EventDatabase, Map<string, Set<string>>>;
  events: StreamMessage[];
  deadLetters: DeadLetter[];
  consumers: ConsumerInfo[];
  /** Order id → when its order.cancelled was written (orders' outbox, in the cancelling transaction). */
  orderCancelledAt: Map<string, Date>;
  /** Order ids that have an expiration job, and those with a cancellation mark, in Redis. */
  expirationJobs: Set<string>;
  expirationCancelMarks: Set<string>;
}

/** Reads the services' databases, the stream and Redis directly (never through their APIs). */
export class SystemInspector {
  private readonly pools: Record<EventDatabase, pg.Pool>;
  private readonly expirations: ExpirationQueue;

  private constructor(
    settings: SystemSettings,
    readonly bus: EventBus,
  ) {
    this.pools = Object.fromEntries(
      EVENT_DATABASES.map((name) => [
        name,
        new pg.Pool({ connectionString: databaseUrlOf(settings, name), max: 2 }),
      ]),
    ) as Record<EventDatabase, pg.Pool>;
    for (const pool of Object.values(this.pools)) pool.on('error', () => {});
    this.expirations = openExpirationQueue(settings.redisUrl, settings.queuePrefix);
  }

  static async connect(settings: SystemSettings, logger: Logger): Promise<SystemInspector> {
    const admin = settings.natsUsers && natsUser(settings.natsUsers, NATS_ADMIN_USER);
    const connect = () =>
      EventBus.connect({
        url: settings.natsUrl,
        stream: settings.stream,
        subjectPrefix: settings.subjectPrefix,
        name: 'chaos-inspector',
        logger,
        // A NATS with users: the admin reads everything.
        ...(admin ? { user: admin.user, password: admin.password } : {}),
      });
    // On a saturated machine the server may time the login out ("Authentication
    // Timeout"): the run has just ended, so try again rather than lose its report.
    for (let attempt = 1; ; attempt++) {
      try {
        return new SystemInspector(settings, await connect());
      } catch (error) {
        if (attempt >= 5) throw error;
        logger.warn({ err: error, attempt }, 'the inspector could not connect to NATS, retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
      }
    }
  }

  private async rows<T>(db: EventDatabase, text: string): Promise<T[]> {
    return (await this.pools[db].query(text)).rows as T[];
  }

  /** What is still in motion: unsent outbox rows, unacked events, unfinished expiry jobs. */
  async inFlight() {
    const outbox = await Promise.all(
      EVENT_DATABASES.map(async (db) => {
        const [row] = await this.rows<{ n: number }>(
          db,
          'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL',
        );
        return [db, row!.n] as const;
      }),
    );
    const [settling] = await this.rows<{ n: number }>(
      'payments',
      `SELECT count(*)::int AS n FROM payments
       WHERE next_action IS NOT NULL OR status = 'pending'`,
    );
    const consumers = await durableConsumers(this.bus);
    const lagging = consumers
      .filter((c) => c.num_pending > 0 || c.num_ack_pending > 0)
      .map((c) => `${c.name} (${c.num_pending} pending, ${c.num_ack_pending} unacked)`);
    const jobs = await this.expirations.queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
    );
    const openJobs = Object.values(jobs).reduce((sum, n) => sum + n, 0);
    const [holds] = await this.rows<{ last: Date | null; open: number; overdue: number }>(
      'orders',
      `SELECT max(expires_at) AS last,
              count(*) FILTER (WHERE status IN ('created', 'awaiting:payment'))::int AS open,
              count(*) FILTER (WHERE status IN ('created', 'awaiting:payment')
                               AND expires_at < now())::int AS overdue
       FROM orders`,
    );
    return {
      unsentOutbox: outbox.filter(([, n]) => n > 0).map(([db, n]) => `${db}: ${n}`),
      /** Payments still pending, or with a capture/void/refund to make. */
      paymentsSettling: settling?.n ?? 0,
      lagging,
      openJobs,
      lastHoldEndsAt: holds?.last ?? null,
      openOrders: holds?.open ?? 0,
      /** Open orders whose hold has ended: expiration (or, without its job, the sweeper) is due. */
      overdueOrders: holds?.overdue ?? 0,
    };
  }

  async snapshot(): Promise<Snapshot> {
    const outbox = {} as Snapshot['outbox'];
    const inbox = {} as Snapshot['inbox'];
    for (const db of EVENT_DATABASES) {
      outbox[db] = await this.rows<OutboxRow>(db, 'SELECT id, subject, sent_at FROM outbox');
      const handled = await this.rows<{ consumer: string; event_id: string }>(
        db,
        'SELECT consumer, event_id FROM inbox',
      );
      const byConsumer = new Map<string, Set<string>>();
      for (const { consumer, event_id } of handled) {
        if (!byConsumer.has(consumer)) byConsumer.set(consumer, new Set());
        byConsumer.get(consumer)!.add(event_id);
      }
      inbox[db] = byConsumer;
    }
    const orders = await this.rows<OrderRow>(
      'orders',
      'SELECT id, ticket_id, status, payment_id, expires_at, version FROM orders',
    );
    const [declines] = await this.rows<{ n: number }>(
      'payments',
      'SELECT count(*)::int AS n FROM payment_declines',
    );
    const events = await readEvents(this.bus);
    const orderIds = [...new Set(orders.map((o) => o.id))];
    const cancels = await this.rows<{ id: string; at: Date }>(
      'orders',
      `SELECT envelope->'data'->>'id' AS id, min(created_at) AS at FROM outbox
       WHERE subject LIKE '%order.cancelled' GROUP BY 1`,
    );
    return {
      orders,
      orderCancelledAt: new Map(cancels.map((row) => [row.id, row.at])),
      ordersTicketReplica: await this.rows('orders', 'SELECT id, order_id, version FROM tickets'),
      tickets: await this.rows('tickets', 'SELECT id, order_id, version FROM tickets'),
      payments: await this.rows(
        'payments',
        'SELECT id, order_id, status, amount_cents, fee_cents, provider_id, refunded_at FROM payments',
      ),
      paymentsOrderReplica: await this.rows(
        'payments',
        'SELECT id, status, version, seller_id FROM orders',
      ),
      ledger: await this.rows(
        'payments',
        'SELECT posting_id, account, amount_cents, kind, payment_id FROM ledger_entries',
      ),
      payouts: await this.rows('payments', 'SELECT id, user_id, amount_cents FROM payouts'),
      providerCharges: await this.providerCharges(),
      declines: declines?.n ?? 0,
      outbox,
      inbox,
      events,
      deadLetters: await readDeadLetters(this.bus),
      consumers: await durableConsumers(this.bus),
      expirationJobs: await this.expirations.existing(orderIds, this.expirations.jobKeyOf),
      expirationCancelMarks: await this.expirations.existing(
        orderIds,
        this.expirations.cancelMarkOf,
      ),
    };
  }

  /** The sandbox's holds; null when payments runs another provider (its tables are absent). */
  private async providerCharges(): Promise<ProviderChargeRow[] | null> {
    const [exists] = await this.rows<{ present: boolean }>(
      'payments',
      "SELECT to_regclass('sandbox_holds') IS NOT NULL AS present",
    );
    if (!exists?.present) return null;
    return this.rows(
      'payments',
      'SELECT provider_id, payment_id, amount_cents, status FROM sandbox_holds',
    );
  }

  /** Server versions, for the report. */
  async versions() {
    const [postgres] = await this.rows<{ server_version: string }>('orders', 'SHOW server_version');
    const redis = /redis_version:(\S+)/.exec(await this.expirations.redis.info('server'))?.[1];
    return {
      postgres: postgres?.server_version ?? '?',
      nats: this.bus.nc.info?.version ?? '?',
      redis: redis ?? '?',
    };
  }

  async close(): Promise<void> {
    await this.expirations.close();
    await Promise.all(Object.values(this.pools).map((pool) => pool.end().catch(() => {})));
    await this.bus.close().catch(() => {});
  }
}
