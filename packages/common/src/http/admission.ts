import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { requestIdOf } from './request-id.js';
import { urlPath } from './tracing.js';

/**
 * Admission control: past capacity a request is refused at once with 503 and
 * `Retry-After`, rather than queued until it times out (and drags every request
 * behind it past its timeout too). Four limits, each 0 to turn it off:
 * - `maxInFlight`: requests being served by this instance at once, a hard cap;
 * - `targetLatencyMs`: an adaptive cap, throughput × target latency, applied while
 *   requests take longer than the target (so never under light load);
 * - `maxEventLoopDelayMs`: the event loop's mean delay over the last second
 *   (`@fastify/under-pressure`), for CPU saturation the in-flight count misses
 *   (off by default: see its config key);
 * - `maxQueueMs`: how long a request may have waited before this instance read it,
 *   by the `X-Request-Start` the ingress in front stamps (off by default: without an
 *   ingress nothing stamps it). Time in the accept queue is invisible to the other
 *   limits: on a saturated instance a request admitted after seconds there is one its
 *   buyer has likely given up on.
 * Health, readiness and metrics are never refused: a busy instance is alive and
 * ready, and it must still be observable.
 */
export interface AdmissionSettings {
  maxInFlight: number;
  /**
   * The latency this instance aims at (0: off). While its recent requests take
   * longer, it admits only as many at once as it completes in that time (Little's
   * law: throughput × target), never fewer than `minInFlight`: the excess would
   * only wait (for a pool connection, the CPU) and time out.
   */
  targetLatencyMs: number;
  minInFlight: number;
  maxEventLoopDelayMs: number;
  /** The longest wait before this instance, by `X-Request-Start`, that is still admitted (0: off). */
  maxQueueMs: number;
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
   * While requests take longer than this (ms, a moving average), only as many are
   * admitted at once as complete in this time; more get 503 + `Retry-After` (0: off).
   */
  ADMISSION_TARGET_LATENCY_MS: z.coerce.number().int().min(0).default(1_000),
  /** The latency limit never admits fewer than this many at once. */
  ADMISSION_MIN_IN_FLIGHT: z.coerce.number().int().positive().default(64),
  /**
   * Past this mean event-loop delay (ms, over the last second) requests are refused
   * with 503 until it recovers (0: not checked). Off by default: on a machine whose
   * cores other work oversubscribes (this one, CI) a starved process shows seconds
   * of delay with almost nothing in flight; set it where the service has its CPU.
   */
  ADMISSION_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /**
   * A request whose `X-Request-Start` (stamped by the ingress when it received the
   * request: `t=` and the time since the epoch, in s, ms or µs, as nginx's `${msec}`)
   * says it waited longer than this (ms) is refused with 503 + `Retry-After`
   * (0: not checked). Only where an ingress sets the header on every request.
   */
  ADMISSION_MAX_QUEUE_MS: z.coerce.number().int().min(0).default(0),
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
    targetLatencyMs: config.ADMISSION_TARGET_LATENCY_MS,
    minInFlight: config.ADMISSION_MIN_IN_FLIGHT,
    maxEventLoopDelayMs: config.ADMISSION_MAX_EVENT_LOOP_DELAY_MS,
    maxQueueMs: config.ADMISSION_MAX_QUEUE_MS,
    retryAfterSeconds: config.ADMISSION_RETRY_AFTER_SECONDS,
  };
}

/** Never refused: probes and scrapes must reach a busy instance. */
const ALWAYS_ADMITTED = new Set(['/healthz', '/readyz', '/metrics']);

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

const TICK_MS = 250;
/** Weight of the newest sample in the moving averages. */
const LATENCY_WEIGHT = 0.1;
const RATE_WEIGHT = 0.3;

/** Moving averages of how long requests take and how many complete per second. */
class LoadEstimate {
  latencyMs = 0;
  perSecond = 0;
  private completedSinceTick = 0;

  private samples = 0;

  completed(ms: number): void {
    // The first sample is the average so far; then each moves it a tenth of the way.
    this.latencyMs += (this.samples++ === 0 ? 1 : LATENCY_WEIGHT) * (ms - this.latencyMs);
    this.completedSinceTick++;
  }

  tick(): void {
    const rate = (this.completedSinceTick * 1000) / TICK_MS;
    this.perSecond += RATE_WEIGHT * (rate - this.perSecond);
    this.completedSinceTick = 0;
  }
}

type Reason = 'in_flight' | 'latency' | 'queue';

/**
 * How long ago, in ms, the ingress received the request, by its `X-Request-Start`
 * (`t=1764921600.123`, or the same in ms or µs, the unit told by the size as New
 * Relic and Heroku read it); undefined when absent, unreadable, or in the future
 * (another clock a little ahead).
 */
export function queuedMs(
  header: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const stamp = Number(value.startsWith('t=') ? value.slice(2) : value);
  if (!Number.isFinite(stamp) || stamp <= 0) return undefined;
  const ms = stamp < 1e11 ? stamp * 1000 : stamp < 1e14 ? stamp : stamp / 1000;
  const waited = now - ms;
  return waited >= 0 ? waited : undefined;
}

/** Why one more request would be refused now, or undefined to admit it. */
function refusalReason(
  settings: AdmissionSettings,
  inFlight: number,
  load: LoadEstimate,
  request: IncomingMessage,
): Reason | undefined {
  if (settings.maxQueueMs > 0) {
    const waited = queuedMs(request.headers['x-request-start']);
    if (waited !== undefined && waited > settings.maxQueueMs) return 'queue';
  }
  if (settings.maxInFlight > 0 && inFlight >= settings.maxInFlight) return 'in_flight';
  if (settings.targetLatencyMs > 0 && load.latencyMs > settings.targetLatencyMs) {
    // What completes within the target, by Little's law: admitting more only queues them.
    const limit = Math.max(
      settings.minInFlight,
      (load.perSecond * settings.targetLatencyMs) / 1000,
    );
    if (inFlight >= limit) return 'latency';
  }
  return undefined;
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

/** When an admitted request began (performance.now()), kept on its response. */
const kStarted = Symbol('admittedAt');
type TimedResponse = ServerResponse & { [kStarted]: number };

/**
 * Puts `admit` in front of Fastify's own `request` listener on the node:http server,
 * so that a refused request costs only Node's HTTP parsing and one constant answer:
 * no request object, hook, span, route lookup, serialization or log line.
 * (`app.inject` does not go through the server and so is never refused.)
 */
function gateServer(
  server: Server,
  admit: (request: IncomingMessage, response: ServerResponse) => boolean,
): void {
  const listeners = server.listeners('request') as Array<
    (request: IncomingMessage, response: ServerResponse) => void
  >;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!admit(request, response)) return;
    for (const listener of listeners) listener.call(server, request, response);
  });
}

/**
 * Registered after the metrics plugin (its refusals are counted there). The
 * in-flight and latency limits act on the node:http server itself, before
 * anything in Fastify runs for the request (see gateServer).
 */
export const admissionPlugin = fp(
  async (app: FastifyInstance, settings: AdmissionSettings) => {
    const refused = refusalsCounter(app);
    // Children bound once: `inc()` on one is a property bump, not a label lookup.
    const refusedFor: Record<Reason, { inc(): void } | undefined> = {
      in_flight: refused?.labels('in_flight'),
      latency: refused?.labels('latency'),
      queue: refused?.labels('queue'),
    };
    let inFlight = 0;

    const load = new LoadEstimate();
    function completed(this: ServerResponse): void {
      inFlight--;
      load.completed(performance.now() - (this as TimedResponse)[kStarted]);
    }
    const timer = setInterval(() => load.tick(), TICK_MS);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));

    if (settings.maxInFlight > 0 || settings.targetLatencyMs > 0 || settings.maxQueueMs > 0) {
      // One constant refusal, written as is: no serializer, no per-request allocation
      // beyond Node's own.
      const body = Buffer.from(JSON.stringify(busyBody(settings.retryAfterSeconds)));
      const retryAfter = String(settings.retryAfterSeconds);
      const contentLength = String(body.length);
      gateServer(app.server, (request, response) => {
        const reason = refusalReason(settings, inFlight, load, request);
        if (reason && !ALWAYS_ADMITTED.has(urlPath(request.url ?? ''))) {
          // Counted, never logged: at thousands a second one line each would be
          // most of the refusing's cost (http_requests_refused_total says how many).
          refusedFor[reason]?.inc();
          response.writeHead(503, [
            'content-type',
            'application/json; charset=utf-8',
            'content-length',
            contentLength,
            'retry-after',
            retryAfter,
            'x-request-id',
            requestIdOf(request),
          ]);
          response.end(body);
          return false;
        }
        inFlight++;
        (response as TimedResponse)[kStarted] = performance.now();
        // 'close' fires once the response is written or the connection is gone,
        // whichever way the request ends (a proxied stream, a hijacked reply, an abort).
        // One listener for every response (no closure or once-wrapper per request).
        response.on('close', completed);
        return true;
      });
    }

    if (settings.maxEventLoopDelayMs > 0) {
      await app.register(underPressure, {
        maxEventLoopDelay: settings.maxEventLoopDelayMs,
        retryAfter: settings.retryAfterSeconds,
        // Resolving without a reply admits the request; Fastify goes no further
        // once the refusal is sent.
        pressureHandler: async (request, reply, type) => {
          if (ALWAYS_ADMITTED.has(urlPath(request.url))) return;
          refused?.inc({ reason: type });
          refuse(reply, settings.retryAfterSeconds);
        },
      });
    }

    app.decorate('admission', {
      inFlight: () => inFlight,
      load: () => ({ latencyMs: load.latencyMs, perSecond: load.perSecond }),
      settings,
    });
  },
  { name: 'gittix-admission' },
);

declare module 'fastify' {
  interface FastifyInstance {
    /** What admission control admits now; tests and the metrics read it. */
    admission: {
      inFlight(): number;
      load(): { latencyMs: number; perSecond: number };
      settings: AdmissionSettings;
    };
  }
}
