import { randomBytes } from 'node:crypto';
import type { ServiceApp } from '@gittix/common';
import { openDatabase } from '@gittix/common';
import { createTestDatabase, testLogger } from '@gittix/common/testing';
import type { Kysely } from 'kysely';
import { type AuthAppDeps, buildApp } from '../src/app.js';
import { migrations } from '../src/db/migrations.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { createPasswordHasher } from '../src/passwords.js';
import { createSessionSigner, generateSessionKeyPem, type SessionSigner } from '../src/sessions.js';

/** argon2id still, at the smallest costs argon2 allows, so the suite stays fast. */
export const cheapPasswordCost = { memoryCost: 1024, timeCost: 2, parallelism: 1 };

export interface TestAuthDb {
  db: Kysely<AuthDatabase>;
  close: () => Promise<void>;
}

/** A migrated database of its own for one test file. */
export async function openTestAuthDb(): Promise<TestAuthDb> {
  const testDb = await createTestDatabase('auth');
  const db = await openDatabase<AuthDatabase>(testDb.url, migrations, { max: 5 });
  return {
    db,
    close: async () => {
      await db.destroy();
      await testDb.drop();
    },
  };
}

export interface TestAuthApp {
  app: ServiceApp;
  sessions: SessionSigner;
  privateKeyPem: string;
}

/** The auth app over `db`, with test-friendly defaults that each test may override. */
export async function buildTestAuthApp(
  db: Kysely<AuthDatabase>,
  overrides: Partial<AuthAppDeps> = {},
): Promise<TestAuthApp> {
  const privateKeyPem = generateSessionKeyPem();
  const sessions = await createSessionSigner({ privateKeyPem, ttlSeconds: 3600 });
  const app = await buildApp({
    db,
    logger: testLogger,
    sessions,
    passwords: createPasswordHasher(cheapPasswordCost),
    signInLimits: { maxFailuresPerEmail: 5, maxFailuresPerAddress: 20, windowSeconds: 900 },
    cookieSecure: false,
    requestsPerMinute: 1000,
    ...overrides,
  });
  return { app, sessions: overrides.sessions ?? sessions, privateKeyPem };
}

/** An email no other test uses. */
export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.com`;
}

/** A client address no other test uses, for tests that count per address. */
export function uniqueAddress(): string {
  const [a, b, c] = randomBytes(3);
  return `10.${a}.${b}.${c}`;
}

export const password = 'correct horse battery';

export interface SessionCookie {
  value: string;
  httpOnly?: boolean;
  sameSite?: string;
  path?: string;
  secure?: boolean;
  maxAge?: number;
  expires?: Date;
}

/** The `session` cookie a response sets, as light-my-request parses it. */
export function sessionCookieOf(response: {
  cookies: Array<{ name: string } & Partial<SessionCookie>>;
}): SessionCookie | undefined {
  const cookie = response.cookies.find((c) => c.name === 'session');
  return cookie ? (cookie as SessionCookie) : undefined;
}

/** Signs up through the API and returns the user and their session token. */
export async function signUpUser(
  app: ServiceApp,
  email = uniqueEmail(),
): Promise<{ id: string; email: string; token: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/users/signup',
    payload: { email, password },
  });
  if (response.statusCode !== 201) throw new Error(`signup failed: ${response.body}`);
  const token = sessionCookieOf(response)?.value;
  if (!token) throw new Error('signup set no session cookie');
  return { ...response.json<{ id: string; email: string }>(), token };
}
