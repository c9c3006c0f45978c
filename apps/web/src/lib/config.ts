import { z } from 'zod';

/** An unset key and an empty one (`STRIPE_PUBLISHABLE_KEY=` in an env file) mean the same. */
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

/** The web app's environment (its port is `next start -p ${PORT:-3100}`, in package.json). */
const webConfigKeys = z.object({
  GATEWAY_URL: z
    .url({ protocol: /^https?$/, message: 'Must be an http(s) URL' })
    .default('http://127.0.0.1:3000'),
  STRIPE_PUBLISHABLE_KEY: z.preprocess(
    blankAsUnset,
    z.string().startsWith('pk_', { message: 'Must be a Stripe publishable key (pk_…)' }).optional(),
  ),
  /** The platform's part of a sale, as payments takes it: the listing form shows what the seller keeps. */
  PLATFORM_FEE_PERCENT: z.coerce
    .number({ message: 'Must be a number' })
    .min(0, { message: 'Must be between 0 and 100' })
    .max(100, { message: 'Must be between 0 and 100' })
    .default(10),
  /**
   * OTLP/HTTP base URL: with it, the server records each page request's spans and
   * its calls to the gateway and sends them there (src/lib/tracing.ts); without it,
   * nothing is traced. The OpenTelemetry SDK reads these keys itself; they are
   * checked here so that a wrong one stops the server at start, as in the services.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    blankAsUnset,
    z.url({ protocol: /^https?$/, message: 'Must be an http(s) URL' }).optional(),
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(
    blankAsUnset,
    z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  ),
  /** The spec's sampler names and ratio (docs/tracing.md); the defaults are the SDK's own. */
  OTEL_TRACES_SAMPLER: z.preprocess(
    blankAsUnset,
    z
      .enum([
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ])
      .default('parentbased_always_on'),
  ),
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(
    blankAsUnset,
    z.coerce
      .number({ message: 'Must be a number' })
      .min(0, { message: 'Must be between 0 and 1' })
      .max(1, { message: 'Must be between 0 and 1' })
      .default(1),
  ),
  /**
   * The batch span processor, with the services' defaults (DEFAULT_SPAN_BATCH in
   * @gittix/common, docs/tracing.md), not the SDK's: spans sent within half a second,
   * and room for 8,192 while one export runs (the SDK's 2,048 dropped spans in bursts).
   */
  OTEL_BSP_SCHEDULE_DELAY: whole(0, 500),
  OTEL_BSP_EXPORT_TIMEOUT: whole(1, 30_000),
  OTEL_BSP_MAX_QUEUE_SIZE: whole(1, 8_192),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: whole(1, 512),
});

/** The keys as above, and a batch no larger than the queue (the SDK would quietly shrink it). */
export const webConfigSchema = webConfigKeys.refine(
  (config) => config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE <= config.OTEL_BSP_MAX_QUEUE_SIZE,
  { path: ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'], message: 'Must not exceed OTEL_BSP_MAX_QUEUE_SIZE' },
);

/** A whole number of at least `min`, `fallback` when unset or blank. */
function whole(min: number, fallback: number) {
  return z.preprocess(
    blankAsUnset,
    z.coerce
      .number({ message: 'Must be a number' })
      .int({ message: 'Must be a whole number' })
      .min(min, { message: `Must be at least ${min}` })
      .default(fallback),
  );
}

export type WebConfig = z.output<typeof webConfigSchema>;

/** Parses an environment; every bad key is named in one line. */
export function parseWebConfig(env: Record<string, string | undefined>): WebConfig {
  const result = webConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}

let loaded: WebConfig | undefined;

/** This process's settings, parsed once (instrumentation.ts parses them at start-up). */
export function webConfig(): WebConfig {
  loaded ??= parseWebConfig(process.env);
  return loaded;
}
