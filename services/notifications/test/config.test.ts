import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { addressOf, notificationsConfigSchema } from '../src/config.js';

describe('notifications configuration', () => {
  it('when nothing is set, then it sends to the local mail catcher with links to localhost:3000', () => {
    expect(loadConfig(notificationsConfigSchema, {})).toMatchObject({
      PORT: 3006,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/notifications',
      NATS_URL: 'nats://127.0.0.1:4222',
      SMTP_URL: 'smtp://127.0.0.1:1025',
      EMAIL_FROM: 'GitTix <no-reply@gittix.local>',
      PUBLIC_URL: 'http://localhost:3000',
      EMAIL_RETRY_MAX_MS: 300_000,
    });
  });

  it('when EMAIL_FROM has a display name or none, then its address is found', () => {
    expect(addressOf('"GitTix Tickets" <tickets@example.com>')).toBe('tickets@example.com');
    expect(addressOf('tickets@example.com')).toBe('tickets@example.com');
    expect(addressOf('GitTix <not an address>')).toBeUndefined();
    expect(
      loadConfig(notificationsConfigSchema, { EMAIL_FROM: 'tickets@example.com' }).EMAIL_FROM,
    ).toBe('tickets@example.com');
  });

  it('when PUBLIC_URL ends with a slash, then links do not double it', () => {
    expect(
      loadConfig(notificationsConfigSchema, { PUBLIC_URL: 'https://gittix.example/' }).PUBLIC_URL,
    ).toBe('https://gittix.example');
  });

  it('when SMTP_URL, EMAIL_FROM or PUBLIC_URL is wrong, then start-up fails naming each', () => {
    const load = () =>
      loadConfig(notificationsConfigSchema, {
        SMTP_URL: 'http://mail.example',
        EMAIL_FROM: 'GitTix <not an address>',
        PUBLIC_URL: 'javascript:alert(1)',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/SMTP_URL: Must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(load).toThrow(/EMAIL_FROM: Must be an address or "Name <address>"/);
    expect(load).toThrow(/PUBLIC_URL: Must be an http\(s\) URL/);
  });
});
