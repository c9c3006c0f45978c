import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { ticketsConfigSchema } from '../src/config.js';

describe('tickets config', () => {
  it('when the environment is empty, then the local defaults apply', () => {
    expect(loadConfig(ticketsConfigSchema, {})).toMatchObject({
      PORT: 3002,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tickets',
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: 'GITTIX',
      NATS_SUBJECT_PREFIX: 'gittix',
      AUTH_JWKS_URL: 'http://127.0.0.1:3001/api/users/.well-known/jwks.json',
    });
  });

  it('when keys are wrong, then one error names each of them', () => {
    const bad = { PORT: 'x', DATABASE_URL: 'nope', NATS_STREAM: 'a b' };
    expect(() => loadConfig(ticketsConfigSchema, bad)).toThrow(ConfigError);
    expect(() => loadConfig(ticketsConfigSchema, bad)).toThrow(
      /(?=.*PORT: )(?=.*DATABASE_URL: )(?=.*NATS_STREAM: )/,
    );
  });
});
