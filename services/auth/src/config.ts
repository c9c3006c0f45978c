import {
  baseConfigSchema,
  emailTokenKeyIssue,
  emailTokenKeySchema,
  env,
  migrateStepConfigSchema,
  natsConfigSchema,
  outboxListenConfigSchema,
} from '@gittix/common';
import { z } from 'zod';

const optionalBoolean = z
  .enum(['true', 'false', '1', '0'], { message: 'Must be true, false, 1 or 0' })
  .transform((value) => value === 'true' || value === '1')
  .optional();

/** The auth service's environment; every key has a local default except in production. */
export const authConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(outboxListenConfigSchema.shape)
  .extend(migrateStepConfigSchema.shape)
  .extend({
    PORT: env.port(3001),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/auth'),
    /** Ed25519 private key, PKCS8 PEM. Literal `\n` sequences are accepted for one-line env files. */
    JWT_PRIVATE_KEY: z
      .string()
      .min(1)
      .transform((pem) => pem.replaceAll('\\n', '\n'))
      .optional(),
    /** At most 30 days: the sessions stream keeps revocations for 31 (SESSION_REVOCATIONS_MAX_AGE_MS). */
    SESSION_TTL_SECONDS: z.coerce.number().int().positive().max(2_592_000).default(604_800),
    /** Defaults to true when NODE_ENV=production. */
    COOKIE_SECURE: optionalBoolean,
    // argon2id costs; the defaults are argon2's own (64 MiB, 3 passes, 4 lanes).
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(65_536),
    ARGON2_TIME_COST: z.coerce.number().int().min(2).default(3),
    ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(4),
    SIGNIN_MAX_FAILURES_PER_EMAIL: env.positiveInt(5),
    SIGNIN_MAX_FAILURES_PER_ADDRESS: env.positiveInt(20),
    /** Failed sign-ins a known device (one with a device cookie) may make before it counts as unknown. */
    SIGNIN_MAX_FAILURES_PER_DEVICE: env.positiveInt(10),
    /** Failed sign-ins of all unknown clients together per window; known devices are exempt. */
    SIGNIN_MAX_FAILURES_GLOBAL: env.positiveInt(10_000),
    SIGNIN_FAILURE_WINDOW_SECONDS: env.positiveInt(900),
    /** How long a verification link works. */
    EMAIL_VERIFICATION_TTL_SECONDS: env.positiveInt(172_800),
    /** How long a password reset link works. */
    PASSWORD_RESET_TTL_SECONDS: env.positiveInt(1_800),
    /** Verification or reset emails one account may ask for per SIGNIN_FAILURE_WINDOW_SECONDS. */
    EMAILS_MAX_PER_ACCOUNT: env.positiveInt(5),
    /** Forgot-password requests one client address may make per SIGNIN_FAILURE_WINDOW_SECONDS. */
    PASSWORD_FORGOT_MAX_PER_ADDRESS: env.positiveInt(20),
    /** Sign-up, sign-in, verification and password requests per client address per minute, per replica: a CPU guard. */
    AUTH_REQUESTS_PER_MINUTE: env.positiveInt(60),
    /** Seals emailed links' tokens for notifications (AES-256-GCM): 32 bytes, base64, the same in notifications. */
    EMAIL_TOKEN_KEY: emailTokenKeySchema,
  })
  .superRefine((config, context) => {
    if (config.NODE_ENV === 'production' && !config.JWT_PRIVATE_KEY) {
      context.addIssue({
        code: 'custom',
        path: ['JWT_PRIVATE_KEY'],
        message: 'Required in production (an Ed25519 PKCS8 PEM)',
      });
    }
    const keyIssue = emailTokenKeyIssue(config.EMAIL_TOKEN_KEY, config.NODE_ENV);
    if (keyIssue)
      context.addIssue({ code: 'custom', path: ['EMAIL_TOKEN_KEY'], message: keyIssue });
  })
  .transform((config) => ({
    ...config,
    COOKIE_SECURE: config.COOKIE_SECURE ?? config.NODE_ENV === 'production',
  }));

export type AuthConfig = z.output<typeof authConfigSchema>;
