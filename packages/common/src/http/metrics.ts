import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { SERVICE_LABEL } from '../metrics/registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's registry: a service adds its own metrics here (notifications' email counters). */
    metrics: Registry;
  }
}

/**
 * Prometheus metrics at `/metrics`: Node's runtime metrics and a request-duration
 * histogram per route. Each app owns its registry, so several apps can share a
 * process (tests, the in-process benchmarks) without clashing names.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { service: string }) => {
    const registry = new Registry();
    // `gittix_service`, not `service`: see SERVICE_LABEL.
    registry.setDefaultLabels({ [SERVICE_LABEL]: options.service });
    collectDefaultMetrics({ register: registry });
    app.decorate('metrics', registry);
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });

    // Each route's children bound once per method and status: `labels()` hashes
    // its values on every call. Keyed by the route's pattern, so bounded.
    type Child = ReturnType<typeof duration.labels>;
    const children = new Map<string, Map<string, Map<number, Child>>>();
    const childOf = (route: string, method: string, status: number): Child => {
      let byMethod = children.get(route);
      if (!byMethod) {
        byMethod = new Map();
        children.set(route, byMethod);
      }
      let byStatus = byMethod.get(method);
      if (!byStatus) {
        byStatus = new Map();
        byMethod.set(method, byStatus);
      }
      let child = byStatus.get(status);
      if (!child) {
        child = duration.labels(method, route, String(status));
        byStatus.set(status, child);
      }
      return child;
    };

    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url;
      if (route && route !== '/metrics') {
        childOf(route, request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
      }
      done();
    });

    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'gittix-metrics' },
);
