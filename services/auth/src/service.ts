import { defineService, type Logger, postgres } from '@gittix/common';
import { buildApp } from './app.js';
import { type AuthConfig, authConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { AuthDatabase } from './db/schema.js';
import { createDeviceCookies } from './devices.js';
import { createPasswordHasher, type PasswordHasher } from './passwords.js';
import { createSessionSigner, generateSessionKeyPem } from './sessions.js';

/** What a test may hand the auth service instead of the configured argon2 hasher. */
export interface AuthParts {
  passwords: PasswordHasher;
}

function sessionKeyPem(config: AuthConfig, logger: Logger): string {
  if (config.JWT_PRIVATE_KEY) return config.JWT_PRIVATE_KEY;
  // The config schema refuses a missing key in production, so this is development only.
  logger.warn(
    'JWT_PRIVATE_KEY is not set: using a key generated for this process; sessions end when it stops',
  );
  return generateSessionKeyPem();
}

/**
 * The auth service: users, sign-in and the sessions every other service verifies.
 * It publishes user.* and session.revoked through its outbox, and follows the
 * revoked sessions itself like every service that verifies sessions.
 */
export const authService = defineService({
  name: 'auth',
  configSchema: authConfigSchema,
  needs: { database: postgres<AuthDatabase>(migrations), events: {}, sessionRevocations: true },
  build: async (
    { config, db, logger, readiness, admission, revokedSessions },
    parts: Partial<AuthParts>,
  ) => {
    const privateKeyPem = sessionKeyPem(config, logger);
    return {
      app: await buildApp({
        db,
        logger,
        readiness,
        admission,
        revokedSessions,
        sessions: await createSessionSigner({
          privateKeyPem,
          ttlSeconds: config.SESSION_TTL_SECONDS,
          revoked: revokedSessions,
        }),
        devices: createDeviceCookies(privateKeyPem),
        passwords:
          parts.passwords ??
          createPasswordHasher({
            memoryCost: config.ARGON2_MEMORY_KIB,
            timeCost: config.ARGON2_TIME_COST,
            parallelism: config.ARGON2_PARALLELISM,
          }),
        signInLimits: {
          maxFailuresPerEmail: config.SIGNIN_MAX_FAILURES_PER_EMAIL,
          maxFailuresPerAddress: config.SIGNIN_MAX_FAILURES_PER_ADDRESS,
          maxFailuresPerDevice: config.SIGNIN_MAX_FAILURES_PER_DEVICE,
          maxFailuresGlobal: config.SIGNIN_MAX_FAILURES_GLOBAL,
          windowSeconds: config.SIGNIN_FAILURE_WINDOW_SECONDS,
        },
        accounts: {
          verificationTtlSeconds: config.EMAIL_VERIFICATION_TTL_SECONDS,
          resetTtlSeconds: config.PASSWORD_RESET_TTL_SECONDS,
          maxEmailsPerWindow: config.EMAILS_MAX_PER_ACCOUNT,
          maxForgotPerAddress: config.PASSWORD_FORGOT_MAX_PER_ADDRESS,
          maxPasswordGuesses: config.SIGNIN_MAX_FAILURES_PER_EMAIL,
          windowSeconds: config.SIGNIN_FAILURE_WINDOW_SECONDS,
        },
        emailTokenKey: config.EMAIL_TOKEN_KEY,
        cookieSecure: config.COOKIE_SECURE,
        requestsPerMinute: config.AUTH_REQUESTS_PER_MINUTE,
      }),
    };
  },
});
