import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';

/**
 * Admission control: past capacity a request is refused at once with 503 and
 * `Retry-After`, rather than queued until it times out (and drags every request
 * behind it past its timeout too). Two limits, each 0 to turn it off:
 * - `maxInFlight`: requests being served by this instance at once (Little's law:
 *   capacity × acceptable latency);
 * - `maxEventLoopDelayMs`: the event loop's mean delay over the last second
 *   (`@fastify/under-pressure`), for CPU saturation the in-flight count misses.
 * Health, readiness and metrics are never refused: a busy instance is alive and
 * ready, and it must still be observable.
 */
export interface AdmissionSettings {
  maxInFlight: number;
  maxEventLoopDelayMs: number;
  /** The `Retry-After` sent with a refusal, seconds. */
  retryAfterSeconds: number;
}

/** Keys every HTTP service (and the gateway) reads; part of baseConfigSchema. */
export const admissionConfigSchema = z.object({
  /**
   * Requests one instance serves at once; one more is refused with 503 and
   * `Retry-After` (0: no limit). Above the flash-sale benchmark's 100 connections.
   */
  ADMISSION_MAX_IN_FLIGHT: z.coerce.number().int().min(0).default(512),
  /**
   * Past this mean event-loop delay (ms, over the last second) requests are refused
   * with 503 until it recovers (0: not checked).
   */
  ADMISSION_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1_000),
  /** The `Retry-After` (seconds) of a refusal: when the client should try again. */
  ADMISSION_RETRY_AFTER_SECONDS: z.coerce.number().int().positive().default(2),
});

export type AdmissionConfig = z.output<typeof admissionConfigSchema>;

export const DEFAULT_ADMISSION: AdmissionSettings = admissionSettingsFrom(
  admissionConfigSchema.parse({}),
);

export function admissionSettingsFrom(config: AdmissionConfig): AdmissionSettings {
  return {
    maxInFlight: config.ADMISSION_MAX_IN_FLIGHT,
    maxEventLoopDelayMs: config.ADMISSION_MAX_EVENT_LOOP_DELAY_MS,
    retryAfterSeconds: config.ADMISSION_RETRY_AFTER_SECONDS,
  };
}

/** Never refused: probes and scrapes must reach a busy instance. */
const ALWAYS_ADMITTED = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? '';

/** The refusal's body, in the one error shape. */
export function busyBody(retryAfterSeconds: number) {
  return {
    errors: [{ message: `The service is busy; retry in ${retryAfterSeconds} s` }],
  };
}

function refuse(reply: FastifyReply, retryAfterSeconds: number) {
  return reply
    .code(503)
    .header('retry-after', String(retryAfterSeconds))
    .send(busyBody(retryAfterSeconds));
}

function refusalsCounter(app: FastifyInstance): Counter<'reason'> | undefined {
  if (!app.hasDecorator('metrics')) return undefined;
  const registry: Registry = app.metrics;
  return new Counter({
    name: 'http_requests_refused_total',
    help: 'Requests refused with 503 by admission control, by the limit that refused them',
    labelNames: ['reason'],
    registers: [registry],
  });
}

/**
 * Registered after the metrics plugin (its refusals are counted there) and before
 * anything that costs work per request (auth, body parsing, proxying).
 */
export const admissionPlugin = fp(
  async (app: FastifyInstance, settings: AdmissionSettings) => {
    const refused = refusalsCounter(app);
    let inFlight = 0;

    if (settings.maxInFlight > 0) {
      app.addHook('onRequest', async (request, reply) => {
        if (ALWAYS_ADMITTED.has(pathOf(request))) return;
        if (inFlight >= settings.maxInFlight) {
          refused?.inc({ reason: 'in_flight' });
          request.log.warn(
            { inFlight, limit: settings.maxInFlight },
            'refused: too many in flight',
          );
          return refuse(reply, settings.retryAfterSeconds);
        }
        inFlight++;
        // 'close' fires once the response is written or the connection is gone,
        // whichever way the request ends (a proxied stream, a hijacked reply, an abort).
        reply.raw.once('close', () => {
          inFlight--;
        });
      });
    }

    if (settings.maxEventLoopDelayMs > 0) {
      await app.register(underPressure, {
        maxEventLoopDelay: settings.maxEventLoopDelayMs,
        retryAfter: settings.retryAfterSeconds,
        // Resolving without a reply admits the request; Fastify goes no further
        // once the refusal is sent.
        pressureHandler: async (request, reply, type) => {
          if (ALWAYS_ADMITTED.has(pathOf(request))) return;
          refused?.inc({ reason: type });
          request.log.warn({ type }, 'refused: under pressure');
          refuse(reply, settings.retryAfterSeconds);
        },
      });
    }

    app.decorate('admission', {
      inFlight: () => inFlight,
      settings,
    });
  },
  { name: 'gittix-admission' },
);

declare module 'fastify' {
  interface FastifyInstance {
    /** What admission control admits now; tests and the metrics read it. */
    admission: { inFlight(): number; settings: AdmissionSettings };
  }
}
