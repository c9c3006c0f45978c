import { randomUUID } from 'node:crypto';
import { EventBus, NATS_ADMIN_USER, natsUser, natsUsersWithRandomPasswords } from '@gittix/common';
import {
  type PrivateNatsServer,
  startPrivateNatsServer,
  streamMessages,
  testEventNames,
  testLogger,
} from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgePaymentCreated, forgeryRefused } from '../chaos/forgery.js';

describe('chaos: the forged payment.created attack', () => {
  const names = testEventNames();
  let nats: PrivateNatsServer;
  let admin: EventBus;

  beforeAll(async () => {
    nats = await startPrivateNatsServer({ users: natsUsersWithRandomPasswords(names) });
    const { user, password } = natsUser(nats.users, NATS_ADMIN_USER);
    admin = await EventBus.connect({
      url: nats.url,
      ...names,
      name: 't',
      logger: testLogger,
      user,
      password,
    });
    await admin.ensureStreams();
  });
  afterAll(async () => {
    await admin?.close();
    await nats?.destroy();
  });

  it('when NATS has users, then both attempts are refused and the invariant passes', async () => {
    const attempt = await forgePaymentCreated(
      { natsUrl: nats.url, ...names, users: nats.users, orderId: randomUUID() },
      testLogger,
    );
    const ids = new Set((await streamMessages(admin)).map((m) => m.msgId ?? ''));
    const result = forgeryRefused(attempt, ids);
    expect(result.violations).toEqual([]);
    expect(result.pass).toBe(true);
  });

  it('when the forged event got through, then the invariant fails and names it', () => {
    const result = forgeryRefused(
      { eventId: 'e1', outcomes: ['the tickets user published payment.created'], refused: false },
      new Set(['e1']),
    );
    expect(result.pass).toBe(false);
    expect(result.violations).toEqual([
      'the tickets user published payment.created',
      'forged event e1 is in the stream',
    ]);
  });
});
