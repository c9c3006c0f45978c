import { createServiceApp, type ReadinessChecks, type ServiceApp } from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';

export interface ExpirationAppDeps {
  logger: FastifyBaseLogger;
  readiness: ReadinessChecks;
}

/** The expiration service has no API: its HTTP app is health, readiness and metrics. */
export function buildApp(deps: ExpirationAppDeps): Promise<ServiceApp> {
  return createServiceApp({ name: 'expiration', logger: deps.logger, readiness: deps.readiness });
}
