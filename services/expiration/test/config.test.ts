import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { expirationConfigSchema } from '../src/config.js';

describe('expiration config', () => {
  it('when nothing is set, then the local defaults apply', () => {
    expect(loadConfig(expirationConfigSchema, {})).toMatchObject({
      PORT: 3004,
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'gittix',
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: 'GITTIX',
      NATS_SUBJECT_PREFIX: 'gittix',
      EXPIRATION_WORKER_CONCURRENCY: 1000,
    });
  });

  it('when QUEUE_PREFIX or REDIS_URL is malformed, then loading fails naming each', () => {
    expect(() =>
      loadConfig(expirationConfigSchema, { QUEUE_PREFIX: 'a:b', REDIS_URL: 'nope' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig(expirationConfigSchema, { QUEUE_PREFIX: 'a:b', REDIS_URL: 'nope' }),
    ).toThrow(/QUEUE_PREFIX.*REDIS_URL|REDIS_URL.*QUEUE_PREFIX/);
  });
});
