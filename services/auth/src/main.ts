import {
  createLogger,
  type Logger,
  loadServiceConfig,
  openDatabase,
  runService,
  stopInOrder,
} from '@gittix/common';
import { buildApp } from './app.js';
import { type AuthConfig, authConfigSchema } from './config.js';
import { migrations } from './db/migrations.js';
import type { AuthDatabase } from './db/schema.js';
import { createPasswordHasher } from './passwords.js';
import { createSessionSigner, generateSessionKeyPem } from './sessions.js';

function sessionKeyPem(config: AuthConfig, logger: Logger): string {
  if (config.JWT_PRIVATE_KEY) return config.JWT_PRIVATE_KEY;
  // The config schema refuses a missing key in production, so this is development only.
  logger.warn(
    'JWT_PRIVATE_KEY is not set: using a key generated for this process; sessions end when it stops',
  );
  return generateSessionKeyPem();
}

const config = loadServiceConfig('auth', authConfigSchema);
const logger = createLogger({ name: 'auth', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });

await runService({
  name: 'auth',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async () => {
    const sessions = await createSessionSigner({
      privateKeyPem: sessionKeyPem(config, logger),
      ttlSeconds: config.SESSION_TTL_SECONDS,
    });
    const db = await openDatabase<AuthDatabase>(config.DATABASE_URL, migrations, {
      applicationName: 'auth',
    });
    const app = await buildApp({
      db,
      logger,
      sessions,
      passwords: createPasswordHasher({
        memoryCost: config.ARGON2_MEMORY_KIB,
        timeCost: config.ARGON2_TIME_COST,
        parallelism: config.ARGON2_PARALLELISM,
      }),
      signInLimits: {
        maxFailuresPerEmail: config.SIGNIN_MAX_FAILURES_PER_EMAIL,
        maxFailuresPerAddress: config.SIGNIN_MAX_FAILURES_PER_ADDRESS,
        windowSeconds: config.SIGNIN_FAILURE_WINDOW_SECONDS,
      },
      cookieSecure: config.COOKIE_SECURE,
      requestsPerMinute: config.AUTH_REQUESTS_PER_MINUTE,
    });
    await app.listen({ port: config.PORT, host: config.HOST });
    return stopInOrder(logger, [
      ['http', () => app.close()],
      ['database', () => db.destroy()],
    ]);
  },
});
