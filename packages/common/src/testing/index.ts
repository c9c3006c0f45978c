import { randomBytes } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { dropDatabase, ensureDatabase } from '../db.js';
import {
  SESSION_ALGORITHM,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
  type SessionUser,
} from '../http/auth.js';

/** Infrastructure the tests use: the machine's real servers unless told otherwise. */
export const testInfra = {
  postgresUrl: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  natsUrl: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** One id per `npm test` run (set by vitest.config.ts); every name a test makes starts with it. */
export function testRunId(): string {
  return process.env.GITTIX_TEST_RUN ?? 'local';
}

/** A name no other test, run or running system uses: `gx_<run>_<label>_<random>`. */
export function uniqueName(label: string): string {
  return `gx_${testRunId()}_${label}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** A fresh database of its own for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const url = `${testInfra.postgresUrl}/${uniqueName(label)}`;
  await ensureDatabase(url);
  return { url, drop: () => dropDatabase(url) };
}

/** Stream name and subject prefix of their own, so tests never see each other's events. */
export function testEventNames(): { stream: string; subjectPrefix: string } {
  const name = uniqueName('ev');
  return { stream: name.toUpperCase(), subjectPrefix: name };
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Says what was awaited when the deadline passes. */
  message?: string;
}

/**
 * Polls `probe` until it returns something other than undefined/false/null, or
 * fails after the deadline. The way to wait for asynchronous effects in tests.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 25, message = 'condition' }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface TestSessionKeys {
  publicKeyPem: string;
  /** Signs a session exactly as the auth service does. */
  sign: (user: SessionUser, options?: { expiresIn?: string }) => Promise<string>;
}

/** A fresh signing key pair, for services tested without a running auth service. */
export async function createTestSessionKeys(): Promise<TestSessionKeys> {
  const { privateKey, publicKey } = await generateKeyPair(SESSION_ALGORITHM, { extractable: true });
  return {
    publicKeyPem: await exportSPKI(publicKey),
    sign: (user, options = {}) =>
      new SignJWT({ email: user.email })
        .setProtectedHeader({ alg: SESSION_ALGORITHM })
        .setSubject(user.id)
        .setIssuer(SESSION_ISSUER)
        .setAudience(SESSION_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(privateKey),
  };
}

/** A logger that prints only when a test run asks for it (TEST_LOG_LEVEL=debug). */
export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
export * from './nats-server.js';
