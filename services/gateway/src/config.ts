import { baseConfigSchema, DEFAULT_BODY_LIMIT, env, splitUrlList } from '@gittix/common';
import { z } from 'zod';

/**
 * Which proxies in front of the gateway may say who the client is (X-Forwarded-For):
 * `false` (the gateway is the edge), `true` (trust any), a hop count, or a
 * comma-separated list of addresses/CIDRs. Fastify's `trustProxy`, from the env.
 */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

const trustProxy = z
  .string()
  .trim()
  .min(1)
  .default('false')
  .transform((value): TrustProxy => {
    if (value === 'true' || value === 'false') return value === 'true';
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      return (_address, hop) => hop < hops;
    }
    return value.split(',').map((entry) => entry.trim());
  });

/**
 * An upstream's base URL, or the URLs of its replicas separated by commas (the
 * gateway spreads requests over them). The proxy speaks HTTP(S) only ("tickets:3002"
 * is a valid URL, not an HTTP one).
 */
const upstreamUrl = (fallback: string) =>
  env
    .urlList(fallback)
    .refine((value) => splitUrlList(value).every((url) => /^https?:\/\/[^,\s]+$/.test(url)), {
      message: 'Must be an http:// or https:// URL, or such URLs separated by commas',
    });

export const gatewayConfigSchema = baseConfigSchema.extend({
  PORT: env.port(3000),
  AUTH_URL: upstreamUrl('http://127.0.0.1:3001'),
  TICKETS_URL: upstreamUrl('http://127.0.0.1:3002'),
  ORDERS_URL: upstreamUrl('http://127.0.0.1:3003'),
  PAYMENTS_URL: upstreamUrl('http://127.0.0.1:3005'),
  WEB_URL: upstreamUrl('http://127.0.0.1:3100'),
  /** How long an upstream may take to connect; past it the client gets 503. */
  UPSTREAM_CONNECT_TIMEOUT_MS: env.positiveInt(2_000),
  /** How long an upstream may take to start answering (and between body chunks). */
  UPSTREAM_TIMEOUT_MS: env.positiveInt(15_000),
  TRUST_PROXY: trustProxy,
  /** Bodies larger than this are refused with 413 before reaching a service. */
  MAX_BODY_BYTES: env.positiveInt(DEFAULT_BODY_LIMIT),
  /**
   * Who may read `/metrics` and `/readyz`: `public` (anyone reaching the port: a
   * cluster where the Ingress never routes them) or `local` (only the container
   * itself, e.g. its healthcheck; everyone else gets 404), for a published port.
   */
  OPS_ENDPOINTS: z.enum(['public', 'local']).default('public'),
  /** How long the merged /api/docs/openapi.json is served from memory before it is fetched again. */
  DOCS_CACHE_SECONDS: env.positiveInt(60),
  /** After a 413, how much more of the body is read (and dropped) so the client gets the answer. */
  LINGER_MAX_BYTES: env.positiveInt(8 * 1024 * 1024),
  /** After a 413, how long the rest of the body may take before the connection is cut. */
  LINGER_TIMEOUT_MS: env.positiveInt(5_000),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
