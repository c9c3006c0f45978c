import { randomBytes, randomUUID } from 'node:crypto';
import { createEnvelope, loadConfig, sealToken } from '@gittix/common';
import { waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationsConfigSchema } from '../src/config.js';
import { onUserPasswordResetRequested } from '../src/events/user-password-reset-requested.js';
import { createNotificationsFixture, type NotificationsFixture, PUBLIC_URL } from './fixtures.js';

/** Verification and reset links: auth seals their tokens, and nothing else is sent. */
describe('notifications: the links auth seals', () => {
  let n: NotificationsFixture;

  beforeAll(async () => {
    n = await createNotificationsFixture();
  });
  afterAll(() => n?.close());

  const arrived = (address: string) =>
    waitFor(() => n.smtp.to(address).length >= 1 && n.smtp.to(address)[0], {
      message: `an email to ${address}`,
    });
  const rawToken = () => randomBytes(32).toString('base64url');
  const sealed = (
    purpose: 'user.verification_requested' | 'user.password_reset_requested',
    userId: string,
    token: string,
    key = n.config.EMAIL_TOKEN_KEY,
    email?: string,
  ) => sealToken(key, token, { purpose, userId, email: email ?? addressOf(userId) });
  /** The address each user's links were sealed for (the one their events carry). */
  const addresses = new Map<string, string>();
  const addressOf = (userId: string) => addresses.get(userId) ?? 'someone@example.com';
  const knownUser = async () => {
    const user = await n.knownUser();
    addresses.set(user.id, user.email);
    return user;
  };

  it('when auth sends a sealed verification token, then the email links with the token opened', async () => {
    const user = await knownUser();
    const token = rawToken();
    await n.publish('user.verification_requested', {
      userId: user.id,
      email: user.email,
      sealedToken: sealed('user.verification_requested', user.id, token),
    });
    const email = await arrived(user.email);
    expect(email.subject).toBe('Verify your email');
    expect(email.text).toContain(`${PUBLIC_URL}/auth/verify?token=${token}`);
  });

  it('when auth sends a sealed reset token, then the email links with the token opened', async () => {
    const user = await knownUser();
    const token = rawToken();
    await n.publish('user.password_reset_requested', {
      userId: user.id,
      email: user.email,
      sealedToken: sealed('user.password_reset_requested', user.id, token),
    });
    const email = await arrived(user.email);
    expect(email.subject).toBe('Reset your password');
    expect(email.text).toContain(`${PUBLIC_URL}/auth/reset?token=${token}`);
  });

  it('when an event carries the token in clear (as auth wrote it before sealing), then it is dead-lettered and no email is queued', async () => {
    const user = await knownUser();
    const consumer = 'notifications_user_password_reset_requested';
    const before = await n.metric('gittix_dead_letters_total', { consumer });
    // Whoever can publish to the stream (the events CLI) chooses the token.
    const event = {
      id: randomUUID(),
      type: 'user.password_reset_requested' as const,
      occurredAt: new Date().toISOString(),
      data: { userId: user.id, email: user.email, token: rawToken() },
    };
    const bus = await n.environment.bus();
    await bus.js.publish(bus.subjectOf(event.type), JSON.stringify(event));
    await waitFor(
      async () => (await n.metric('gittix_dead_letters_total', { consumer })) === before + 1,
      { message: 'the event to be dead-lettered' },
    );
    expect((await n.emailRows()).filter((r) => r.user_id === user.id)).toEqual([]);
  });

  it('when a token was sealed with another key or for another user, then the event fails and no email is queued', async () => {
    const user = await knownUser();
    const handler = onUserPasswordResetRequested(
      { site: { publicUrl: PUBLIC_URL }, messageIdDomain: 'gittix.local', holdEmailDelayMs: 0 },
      n.config.EMAIL_TOKEN_KEY,
    );
    const context = { deliveries: 1, logger: n.logger };
    for (const sealedToken of [
      sealed(
        'user.password_reset_requested',
        user.id,
        rawToken(),
        randomBytes(32).toString('base64'),
      ),
      sealed('user.password_reset_requested', randomUUID(), rawToken()),
      sealed('user.verification_requested', user.id, rawToken()),
    ]) {
      const event = createEnvelope(
        'user.password_reset_requested',
        { userId: user.id, email: user.email, sealedToken },
        randomUUID(),
      );
      // As the consumer runs it: a throw rolls back, and the event is retried, then dead-lettered.
      await expect(
        n.db.transaction().execute((trx) => handler(trx, event, context)),
      ).rejects.toThrow(/sealed token does not open/);
    }
    expect((await n.emailRows()).filter((r) => r.user_id === user.id)).toEqual([]);
  });

  it('when a sealed reset token is republished with another address, then it does not open and no email goes to that address', async () => {
    const user = await knownUser();
    const attacker = `attacker-${randomUUID()}@example.com`;
    const handler = onUserPasswordResetRequested(
      { site: { publicUrl: PUBLIC_URL }, messageIdDomain: 'gittix.local', holdEmailDelayMs: 0 },
      n.config.EMAIL_TOKEN_KEY,
    );
    // Whoever can tail the stream and publish (the events CLI) copies the user's sealed token.
    const event = createEnvelope(
      'user.password_reset_requested',
      {
        userId: user.id,
        email: attacker,
        sealedToken: sealed('user.password_reset_requested', user.id, rawToken()),
      },
      randomUUID(),
    );
    await expect(
      n.db.transaction().execute((trx) => handler(trx, event, { deliveries: 1, logger: n.logger })),
    ).rejects.toThrow(/sealed token does not open/);
    expect((await n.emailRows()).filter((r) => r.user_id === user.id)).toEqual([]);
  });

  it('when NODE_ENV is production, then the development key is refused and a key of 32 bytes is required', () => {
    const production = { NODE_ENV: 'production' };
    expect(() => loadConfig(notificationsConfigSchema, production)).toThrow(/EMAIL_TOKEN_KEY/);
    expect(() =>
      loadConfig(notificationsConfigSchema, {
        EMAIL_TOKEN_KEY: randomBytes(16).toString('base64'),
      }),
    ).toThrow(/EMAIL_TOKEN_KEY/);
    const key = randomBytes(32).toString('base64');
    expect(
      loadConfig(notificationsConfigSchema, {
        ...production,
        EMAIL_TOKEN_KEY: key,
      }).EMAIL_TOKEN_KEY,
    ).toEqual(key);
  });
});
