import { randomBytes } from 'node:crypto';
import { pino } from 'pino';

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

/** Stream name and subject prefix of their own, so tests never see each other's events. */
export function testEventNames(): { stream: string; subjectPrefix: string } {
  const name = uniqueName('ev');
  return { stream: name.toUpperCase(), subjectPrefix: name };
}

/** A logger that prints only when a test run asks for it (TEST_LOG_LEVEL=debug). */
export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
