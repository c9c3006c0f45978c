import { createServiceApp, type EventBus, type ServiceApp } from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

export interface ExpirationAppDeps {
  redis: Redis;
  bus: EventBus;
  logger: FastifyBaseLogger;
}

/** The expiration service has no API: its HTTP app is health, readiness and metrics. */
export function buildApp(deps: ExpirationAppDeps): Promise<ServiceApp> {
  return createServiceApp({
    name: 'expiration',
    logger: deps.logger,
    readiness: {
      redis: () => deps.redis.ping(),
      nats: () => deps.bus.ping(),
    },
  });
}
