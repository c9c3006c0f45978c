import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses `env` against `schema`. Every problem is named in one line, e.g.
 * `Invalid configuration: DATABASE_URL: Invalid URL; PORT: Too big`.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(environment)';
    return `${key}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'], { message: 'Must be true, false, 1 or 0' })
  .transform((value) => value === 'true' || value === '1');

/** Reusable field schemas, so every service documents its keys the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: () => z.string().min(1).default('0.0.0.0'),
  url: (fallback: string) => z.url({ message: 'Must be a URL' }).default(fallback),
  name: (fallback: string) =>
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'Only letters, digits, - and _' })
      .default(fallback),
  boolean: (fallback: boolean) => booleanFromEnv.default(fallback),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
};

/** Keys every HTTP service reads. Services extend this with their own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: env.host(),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
});

/** Keys of services that verify sessions: a PEM public key, or auth's JWKS URL. */
export const authVerifyConfigSchema = z.object({
  JWT_PUBLIC_KEY: z.string().optional(),
  AUTH_JWKS_URL: env.url('http://127.0.0.1:3001/api/users/.well-known/jwks.json'),
});

/** Keys of services that talk to NATS JetStream. */
export const natsConfigSchema = z.object({
  NATS_URL: env.url('nats://127.0.0.1:4222'),
  NATS_STREAM: env.name('GITTIX'),
  NATS_SUBJECT_PREFIX: env.name('gittix'),
  /** JetStream replicas of the streams: 1 on a single server, 3 on a cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Optional size cap of the event stream; JetStream reserves it up front. */
  NATS_STREAM_MAX_BYTES: z.coerce.number().int().positive().optional(),
  /** The service's NATS user and password; unset: connect without (a server with no users). */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
});

/** Keys of services that keep state in Redis. */
export const redisConfigSchema = z.object({
  REDIS_URL: env.url('redis://127.0.0.1:6379'),
  /** First part of every Redis key the service uses, so several systems (or tests) share a Redis. */
  QUEUE_PREFIX: env.name('gittix'),
});
