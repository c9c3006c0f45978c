import {
  authVerifyConfigSchema,
  baseConfigSchema,
  env,
  migrateStepConfigSchema,
  natsConfigSchema,
  outboxListenConfigSchema,
  replicaWaitConfigSchema,
} from '@gittix/common';
import { z } from 'zod';

/** An empty value reads as unset, as compose files and shells often pass them. */
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);
const optionalText = z.preprocess(blankAsUnset, z.string().min(1).optional());

/** The tickets service's environment; every key has a local default. */
export const ticketsConfigSchema = baseConfigSchema
  .extend(natsConfigSchema.shape)
  .extend(outboxListenConfigSchema.shape)
  .extend(migrateStepConfigSchema.shape)
  .extend(authVerifyConfigSchema.shape)
  .extend(replicaWaitConfigSchema.shape)
  .extend({
    PORT: env.port(3002),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/tickets'),
    /** Ticket files go to this S3 bucket when set; to the tickets database otherwise. */
    S3_BUCKET: z.preprocess(
      blankAsUnset,
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'Must be an S3 bucket name' })
        .optional(),
    ),
    /** An S3-compatible endpoint (MinIO, a local test server); unset: AWS itself. */
    S3_ENDPOINT: z.preprocess(
      blankAsUnset,
      z.url({ protocol: /^https?$/, message: 'Must be an http(s) URL' }).optional(),
    ),
    S3_REGION: z.string().min(1).default('us-east-1'),
    /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
    S3_FORCE_PATH_STYLE: env.boolean(false),
    /** Static credentials; unset: the AWS SDK's default chain (AWS_* variables, roles). */
    S3_ACCESS_KEY_ID: optionalText,
    S3_SECRET_ACCESS_KEY: optionalText,
  });

export type TicketsConfig = z.output<typeof ticketsConfigSchema>;
