import { createServiceApp, type ReadinessChecks, type ServiceApp } from '@gittix/common';
import type { FastifyBaseLogger } from 'fastify';

export interface NotificationsAppDeps {
  logger: FastifyBaseLogger;
  readiness: ReadinessChecks;
}

/**
 * Notifications has no API: its HTTP app is health, readiness and metrics. SMTP is
 * not a readiness check: while it is down emails wait in the database, and the pod
 * should keep consuming so that none is lost.
 */
export function buildApp(deps: NotificationsAppDeps): Promise<ServiceApp> {
  return createServiceApp({
    name: 'notifications',
    logger: deps.logger,
    readiness: deps.readiness,
  });
}
