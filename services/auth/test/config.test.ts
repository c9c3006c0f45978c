import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { authConfigSchema } from '../src/config.js';
import { createSessionSigner, generateSessionKeyPem } from '../src/sessions.js';

const emailTokenKey = randomBytes(32).toString('base64');

describe('auth configuration', () => {
  it('when nothing is set, then every key takes its documented local default', () => {
    const config = loadConfig(authConfigSchema, {});

    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3001,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/auth',
      SESSION_TTL_SECONDS: 604_800,
      COOKIE_SECURE: false,
      ARGON2_MEMORY_KIB: 65_536,
      ARGON2_TIME_COST: 3,
      ARGON2_PARALLELISM: 4,
      SIGNIN_MAX_FAILURES_PER_EMAIL: 5,
      SIGNIN_MAX_FAILURES_PER_ADDRESS: 20,
      SIGNIN_FAILURE_WINDOW_SECONDS: 900,
    });
    expect(config.JWT_PRIVATE_KEY).toBeUndefined();
  });

  it('when NODE_ENV is production without a key, then the config names JWT_PRIVATE_KEY', () => {
    expect(() => loadConfig(authConfigSchema, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig(authConfigSchema, { NODE_ENV: 'production' })).toThrow(
      /JWT_PRIVATE_KEY: Required in production/,
    );
  });

  it('when NODE_ENV is production without EMAIL_TOKEN_KEY (or with one not of 32 bytes), then the config names it', () => {
    const production = { NODE_ENV: 'production', JWT_PRIVATE_KEY: generateSessionKeyPem() };
    expect(() => loadConfig(authConfigSchema, production)).toThrow(
      /EMAIL_TOKEN_KEY: Required in production/,
    );
    expect(() =>
      loadConfig(authConfigSchema, { ...production, EMAIL_TOKEN_KEY: 'c2hvcnQ=' }),
    ).toThrow(/EMAIL_TOKEN_KEY: Must be 32 bytes/);
  });

  it('when EMAIL_TOKEN_KEY is not base64 (stray characters, a passphrase, hex), then the config refuses it instead of decoding what it can', () => {
    const production = { NODE_ENV: 'production', JWT_PRIVATE_KEY: generateSessionKeyPem() };
    const notBase64 = [
      // A mistyped or pasted-over key: Buffer.from(…, 'base64') skips what it cannot read.
      `${emailTokenKey.slice(0, 20)}$!${emailTokenKey.slice(20)}`,
      // A 43-letter passphrase decodes to 32 bytes of little entropy.
      'correcthorsebatterystapleandsomemorewords12',
      // Hex from `openssl rand -hex`, cut to fit.
      randomBytes(32).toString('hex').slice(0, 43),
      // base64url's alphabet in the standard one's place.
      `${emailTokenKey.slice(0, 10)}-_${emailTokenKey.slice(12)}`,
    ];
    for (const key of notBase64) {
      expect(() => loadConfig(authConfigSchema, { ...production, EMAIL_TOKEN_KEY: key })).toThrow(
        /EMAIL_TOKEN_KEY: Must be 32 bytes, base64/,
      );
    }
    // A key file's trailing newline is not the key's.
    expect(
      loadConfig(authConfigSchema, { ...production, EMAIL_TOKEN_KEY: `${emailTokenKey}\n` })
        .EMAIL_TOKEN_KEY,
    ).toBe(emailTokenKey);
  });

  it('when NODE_ENV is production with a key, then cookies default to Secure', () => {
    const config = loadConfig(authConfigSchema, {
      NODE_ENV: 'production',
      JWT_PRIVATE_KEY: generateSessionKeyPem(),
      EMAIL_TOKEN_KEY: emailTokenKey,
    });

    expect(config.COOKIE_SECURE).toBe(true);
  });

  it('when COOKIE_SECURE is set, then it wins over NODE_ENV', () => {
    const config = loadConfig(authConfigSchema, {
      NODE_ENV: 'production',
      JWT_PRIVATE_KEY: generateSessionKeyPem(),
      EMAIL_TOKEN_KEY: emailTokenKey,
      COOKIE_SECURE: 'false',
    });

    expect(config.COOKIE_SECURE).toBe(false);
    expect(loadConfig(authConfigSchema, { COOKIE_SECURE: '1' }).COOKIE_SECURE).toBe(true);
  });

  it('when the key comes on one line with \\n escapes, then it is a usable PEM', async () => {
    const pem = generateSessionKeyPem();
    const config = loadConfig(authConfigSchema, { JWT_PRIVATE_KEY: pem.replaceAll('\n', '\\n') });

    expect(config.JWT_PRIVATE_KEY).toBe(pem);
    await expect(
      createSessionSigner({ privateKeyPem: config.JWT_PRIVATE_KEY!, ttlSeconds: 60 }),
    ).resolves.toBeDefined();
  });

  it('when values are out of range, then one error names every bad key', () => {
    const attempt = () =>
      loadConfig(authConfigSchema, {
        PORT: 'eighty',
        SESSION_TTL_SECONDS: '0',
        COOKIE_SECURE: 'yes',
        ARGON2_MEMORY_KIB: '8',
        ARGON2_TIME_COST: '1',
      });

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /PORT.*SESSION_TTL_SECONDS.*COOKIE_SECURE.*ARGON2_MEMORY_KIB.*ARGON2_TIME_COST/,
    );
  });

  it('when the key is not a PEM, then starting fails with a config error', async () => {
    await expect(
      createSessionSigner({ privateKeyPem: 'not a key', ttlSeconds: 60 }),
    ).rejects.toThrow(/JWT_PRIVATE_KEY: Not a PEM private key/);
  });

  it('when the key is not Ed25519, then starting fails with a config error', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

    await expect(createSessionSigner({ privateKeyPem: rsa, ttlSeconds: 60 })).rejects.toThrow(
      ConfigError,
    );
  });
});
