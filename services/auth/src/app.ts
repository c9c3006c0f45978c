import rateLimit from '@fastify/rate-limit';
import {
  type AdmissionSettings,
  createServiceApp,
  type ReadinessChecks,
  type RevokedSessions,
  type ServiceApp,
  TooManyRequestsError,
} from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { AccountSettings } from './accounts.js';
import type { AuthDatabase } from './db/schema.js';
import type { DeviceCookies } from './devices.js';
import type { PasswordHasher } from './passwords.js';
import { usersRoutes } from './routes/users.js';
import type { SessionSigner } from './sessions.js';
import type { SignInLimits } from './sign-in-throttle.js';

export interface AuthAppDeps {
  db: Kysely<AuthDatabase>;
  logger: FastifyBaseLogger;
  readiness: ReadinessChecks;
  /** Admission control's limits (ADMISSION_*); the defaults when omitted. */
  admission?: AdmissionSettings;
  sessions: SessionSigner;
  devices: DeviceCookies;
  revokedSessions: RevokedSessions;
  passwords: PasswordHasher;
  signInLimits: SignInLimits;
  accounts: AccountSettings;
  /** EMAIL_TOKEN_KEY: emailed links' tokens are sealed for notifications with it. */
  emailTokenKey: string;
  cookieSecure: boolean;
  /** Sign-up, sign-in and email requests per client address per minute (this replica). */
  requestsPerMinute: number;
}

/** The auth service's HTTP app, built from its dependencies. */
export async function buildApp(deps: AuthAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'auth',
    logger: deps.logger,
    // Auth verifies its own sessions with its own public key: no JWKS round trip.
    verifySession: deps.sessions.verify,
    readiness: deps.readiness,
    admission: deps.admission,
    openapiPath: '/api/users/openapi.json',
  });
  // A per-replica flood guard in front of argon2; the per-email and per-address
  // failure limits that replicas must agree on live in Postgres (sign-in-throttle.ts).
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => new TooManyRequestsError(),
  });
  // Made before the first request, so the first unknown-email sign-in is not slower.
  await deps.passwords.dummyHash();
  await app.register(usersRoutes, { prefix: '/api/users', ...deps });
  return app;
}
