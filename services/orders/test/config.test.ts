import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { ordersConfigSchema } from '../src/config.js';

describe('orders config', () => {
  it('when nothing is set, then the local defaults apply', () => {
    expect(loadConfig(ordersConfigSchema, {})).toMatchObject({
      PORT: 3003,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/orders',
      ORDER_EXPIRATION_SECONDS: 900,
      MAX_OPEN_ORDERS_PER_USER: 5,
      ORDER_SWEEP_GRACE_SECONDS: 30,
      ORDER_SWEEP_INTERVAL_MS: 5_000,
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: 'GITTIX',
      NATS_SUBJECT_PREFIX: 'gittix',
      AUTH_JWKS_URL: 'http://127.0.0.1:3001/api/users/.well-known/jwks.json',
    });
  });

  it('when ORDER_EXPIRATION_SECONDS is set, then it is read as a number', () => {
    expect(
      loadConfig(ordersConfigSchema, { ORDER_EXPIRATION_SECONDS: '60' }).ORDER_EXPIRATION_SECONDS,
    ).toBe(60);
  });

  it('when ORDER_EXPIRATION_SECONDS is not a positive integer, then loading fails naming it', () => {
    for (const value of ['0', '-5', '1.5', 'soon']) {
      expect(() => loadConfig(ordersConfigSchema, { ORDER_EXPIRATION_SECONDS: value })).toThrow(
        ConfigError,
      );
      expect(() => loadConfig(ordersConfigSchema, { ORDER_EXPIRATION_SECONDS: value })).toThrow(
        /ORDER_EXPIRATION_SECONDS/,
      );
    }
  });
});
