import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { paymentsConfigSchema } from '../src/config.js';

describe('payments configuration', () => {
  it('when nothing is set, then the sandbox runs against the local defaults', () => {
    const config = loadConfig(paymentsConfigSchema, {});
    expect(config).toMatchObject({
      PORT: 3005,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/payments',
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: 'GITTIX',
      NATS_SUBJECT_PREFIX: 'gittix',
      AUTH_JWKS_URL: 'http://127.0.0.1:3001/api/users/.well-known/jwks.json',
      PAYMENTS_PROVIDER: 'sandbox',
      PAYMENTS_PROVIDER_TIMEOUT_MS: 20_000,
      PLATFORM_FEE_PERCENT: 10,
      PAYMENTS_SANDBOX_IN_PRODUCTION: false,
    });
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
  });

  it('when PAYMENTS_PROVIDER=stripe has no secret key, then start-up fails naming STRIPE_SECRET_KEY', () => {
    expect(() => loadConfig(paymentsConfigSchema, { PAYMENTS_PROVIDER: 'stripe' })).toThrow(
      new ConfigError(
        'Invalid configuration: STRIPE_SECRET_KEY: Required when PAYMENTS_PROVIDER=stripe',
      ),
    );
    expect(() =>
      loadConfig(paymentsConfigSchema, { PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: '' }),
    ).toThrow(/STRIPE_SECRET_KEY/);
  });

  it('when PAYMENTS_PROVIDER=stripe has a key and an API base, then both are read', () => {
    const config = loadConfig(paymentsConfigSchema, {
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_123',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
    });
    expect(config).toMatchObject({
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_123',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
    });
  });

  it('when values are wrong, then every problem is named at once', () => {
    expect(() =>
      loadConfig(paymentsConfigSchema, {
        PAYMENTS_PROVIDER: 'paypal',
        STRIPE_API_BASE: 'ftp://example.com',
        PAYMENTS_PROVIDER_TIMEOUT_MS: '0',
      }),
    ).toThrow(
      /PAYMENTS_PROVIDER: Must be sandbox or stripe.*STRIPE_API_BASE: .*PAYMENTS_PROVIDER_TIMEOUT_MS/,
    );
  });

  it('when NODE_ENV=production runs the sandbox, then start-up fails unless PAYMENTS_SANDBOX_IN_PRODUCTION=true', () => {
    expect(() => loadConfig(paymentsConfigSchema, { NODE_ENV: 'production' })).toThrow(
      /PAYMENTS_PROVIDER: The sandbox moves no money: refused with NODE_ENV=production unless PAYMENTS_SANDBOX_IN_PRODUCTION=true/,
    );
    expect(
      loadConfig(paymentsConfigSchema, {
        NODE_ENV: 'production',
        PAYMENTS_SANDBOX_IN_PRODUCTION: 'true',
      }).PAYMENTS_PROVIDER,
    ).toBe('sandbox');
    expect(
      loadConfig(paymentsConfigSchema, {
        NODE_ENV: 'production',
        PAYMENTS_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_live_123',
      }).PAYMENTS_PROVIDER,
    ).toBe('stripe');
  });

  it('when PLATFORM_FEE_PERCENT is outside 0..100 or not a number, then start-up fails naming it', () => {
    expect(
      loadConfig(paymentsConfigSchema, { PLATFORM_FEE_PERCENT: '12.5' }).PLATFORM_FEE_PERCENT,
    ).toBe(12.5);
    for (const bad of ['-1', '101', 'ten']) {
      expect(() => loadConfig(paymentsConfigSchema, { PLATFORM_FEE_PERCENT: bad })).toThrow(
        /PLATFORM_FEE_PERCENT/,
      );
    }
  });
});
