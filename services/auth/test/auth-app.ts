import { randomBytes } from 'node:crypto';
import { type Logger, unsealToken } from '@gittix/common';
import {
  startTestService,
  type TestEnvironment,
  type TestService,
  waitFor,
} from '@gittix/common/testing';
import type { FastifyInstance } from 'fastify';
import type { PasswordHasher } from '../src/passwords.js';
import { authService } from '../src/service.js';
import { generateSessionKeyPem } from '../src/sessions.js';

/** argon2id still, at the smallest costs argon2 allows, so the suite stays fast. */
export const cheapPasswordCost = { memoryCost: 1024, timeCost: 2, parallelism: 1 };

export interface TestAuthOptions {
  /** Another instance's environment: a replica on the same database. */
  environment?: TestEnvironment;
  /** Configuration keys on top of the test defaults. */
  env?: Record<string, string>;
  passwords?: PasswordHasher;
  logger?: Logger;
}

export type TestAuth = TestService<typeof authService> & { privateKeyPem: string };

/**
 * The auth service as main.ts opens it, on a database of its own (or `environment`'s),
 * with a signing key of its own, cheap argon2 and a flood guard tests do not hit.
 */
export async function startTestAuth(options: TestAuthOptions = {}): Promise<TestAuth> {
  const privateKeyPem = generateSessionKeyPem();
  const service = await startTestService(authService, {
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.passwords ? { parts: { passwords: options.passwords } } : {}),
    env: {
      JWT_PRIVATE_KEY: privateKeyPem,
      SESSION_TTL_SECONDS: '3600',
      ARGON2_MEMORY_KIB: String(cheapPasswordCost.memoryCost),
      ARGON2_TIME_COST: String(cheapPasswordCost.timeCost),
      ARGON2_PARALLELISM: String(cheapPasswordCost.parallelism),
      COOKIE_SECURE: 'false',
      AUTH_REQUESTS_PER_MINUTE: '1000',
      ...options.env,
    },
  });
  return Object.assign(service, { privateKeyPem });
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
  app: FastifyInstance,
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

type LinkSubject = 'user.verification_requested' | 'user.password_reset_requested';

/**
 * The newest link token auth asked notifications to email to `userId` (after `after`
 * earlier ones), opened with the service's EMAIL_TOKEN_KEY as notifications opens it
 * (or in clear, as auth wrote it before sealing).
 */
export async function emailedToken(
  auth: TestAuth,
  subject: LinkSubject,
  userId: string,
  after = 0,
): Promise<string> {
  const link = await waitFor(
    async () => {
      const events = (await auth.publishedEvents(subject)).filter((e) => e.data.userId === userId);
      return events.length > after && events.at(-1)!.data;
    },
    { message: `${subject} for ${userId}` },
  );
  return unsealToken(auth.config.EMAIL_TOKEN_KEY, link.sealedToken, {
    purpose: subject,
    userId,
    email: link.email,
  });
}
