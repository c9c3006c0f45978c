import { randomBytes, randomUUID } from 'node:crypto';
import { type EventInput, type SealedTokenPurpose, sealToken } from '@gittix/common';
import {
  orderCreatedData,
  startTestService,
  type TestServiceOptions,
} from '@gittix/common/testing';
import { sql } from 'kysely';
import { notificationsService } from '../src/service.js';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-server.js';

export const PUBLIC_URL = 'https://gittix.test';

type Options = TestServiceOptions<typeof notificationsService>;

/**
 * The notifications service as main.ts opens it, on a database and stream of the
 * test's own, sending to a test SMTP server, with its consumers running and the
 * sender's waits shortened (retries from 50 ms, at most 400 ms apart) and hold emails
 * due at once (HOLD_EMAIL_DELAY_MS 0) unless `env` says otherwise.
 */
export async function createNotificationsFixture(
  options: {
    smtp?: TestSmtpServer;
    environment?: Options['environment'];
    env?: Record<string, string>;
  } & Pick<Options, 'parts'> = {},
) {
  const smtp = options.smtp ?? (await startTestSmtpServer());
  const service = await startTestService(notificationsService, {
    ...(options.environment ? { environment: options.environment } : {}),
    env: {
      SMTP_URL: smtp.url,
      PUBLIC_URL,
      EMAIL_RETRY_MAX_MS: '400',
      HOLD_EMAIL_DELAY_MS: '0',
      ...options.env,
    },
    parts: {
      sender: { retryBaseMs: 50, pollIntervalMs: 50, ...options.parts?.sender },
      ...(options.parts?.transport ? { transport: options.parts.transport } : {}),
    },
  });
  await service.startConsumers({ maxDeliveries: 3 });
  const { db } = service;
  const closeService = service.close;

  return Object.assign(service, {
    smtp,
    /** Every row of the email log, oldest first. */
    emailRows() {
      return db.selectFrom('emails').selectAll().orderBy('created_at').execute();
    },
    /** Publishes a user.created for a new user (or `overrides`) and waits until it is handled. */
    async knownUser(overrides: Partial<EventInput<'user.created'>> = {}) {
      const data = userData(overrides);
      await service.deliver('user.created', data);
      return data;
    },
    /** The value of one sample of a metric on /metrics (0 when absent). */
    async metric(name: string, labels: Record<string, string>) {
      const text = (await service.app.inject({ url: '/metrics' })).body;
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    async close() {
      await closeService();
      if (!options.smtp) await smtp.stop();
    },
    /** Emails in the log still to send (pending or parked; not those given up). */
    async unsent() {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM emails WHERE sent_at IS NULL AND failed_at IS NULL`.execute(
        db,
      );
      return rows[0]!.n;
    },
  });
}

export type NotificationsFixture = Awaited<ReturnType<typeof createNotificationsFixture>>;

// Payloads of the events other services publish, with fresh ids and overridable fields.

export function userData(
  overrides: Partial<EventInput<'user.created'>> = {},
): EventInput<'user.created'> {
  return {
    id: randomUUID(),
    version: 0,
    email: `user-${randomUUID().slice(0, 8)}@example.com`,
    emailVerified: false,
    ...overrides,
  };
}

/**
 * A verification or reset request as auth publishes it, its token sealed with `key`
 * (the fixture's `config.EMAIL_TOKEN_KEY`), and the token the link should carry.
 */
export function tokenRequestData(
  key: string,
  purpose: SealedTokenPurpose,
  user: { id: string; email: string },
) {
  const token = randomBytes(32).toString('base64url');
  const sealed = sealToken(key, token, { purpose, userId: user.id, email: user.email });
  return { data: { userId: user.id, email: user.email, sealedToken: sealed }, token };
}

/** An order the buyer holds for a ticket of the seller, expiring in 15 minutes. */
export function heldOrderData(
  buyerId: string,
  sellerId: string,
  title = 'Concert',
): EventInput<'order.created'> {
  const order = orderCreatedData({ userId: buyerId });
  return { ...order, ticket: { ...order.ticket, userId: sellerId, title, price: 40 } };
}

/** The capture of `order`'s payment; it names the order's ticket when the order says which. */
export function paymentCapturedData(
  order: { id: string; userId: string; ticket?: { id: string } },
  sellerId: string,
  amounts = { amount: 40, fee: 4 },
): EventInput<'payment.captured'> {
  return {
    id: randomUUID(),
    orderId: order.id,
    userId: order.userId,
    sellerId,
    ...amounts,
    ticketId: order.ticket?.id ?? null,
  };
}
