import { z } from 'zod';

/** An unset key and an empty one (`STRIPE_PUBLISHABLE_KEY=` in an env file) mean the same. */
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

/** The web app's environment (its port is `next start -p ${PORT:-3100}`, in package.json). */
export const webConfigSchema = z.object({
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
});

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
