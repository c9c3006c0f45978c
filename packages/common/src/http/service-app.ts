import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { OneLinePerRequest } from './access-log.js';
import { type AdmissionSettings, admissionPlugin, DEFAULT_ADMISSION } from './admission.js';
import { authPlugin, type SessionVerifier } from './auth.js';
import { closeGracefullyPlugin } from './close-gracefully.js';
import { errorHandlerPlugin } from './error-handler.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { healthPlugin, type ReadinessChecks } from './health.js';
import { parseJsonBodies } from './json-body.js';
import { metricsPlugin } from './metrics.js';
import { requestIdOf } from './request-id.js';
import { tracingPlugin } from './tracing.js';

export type ServiceApp = FastifyInstance<
  import('node:http').Server,
  IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ServiceAppOptions {
  /** Service name, used in logs and the OpenAPI title. */
  name: string;
  logger?: FastifyBaseLogger;
  /** Verifies session tokens; omit for services with no signed-in routes. */
  verifySession?: SessionVerifier;
  readiness?: ReadinessChecks;
  /** Where the OpenAPI document is served, e.g. `/api/tickets/openapi.json`. */
  openapiPath?: string;
  bodyLimit?: number;
  /** Admission control's limits (the ADMISSION_* keys); DEFAULT_ADMISSION when omitted. */
  admission?: AdmissionSettings;
}

/** The largest request body a service accepts (the gateway refuses larger ones up front). */
export const DEFAULT_BODY_LIMIT = 100 * 1024;

/**
 * A Fastify app with everything every GitTix service shares: zod schemas, the
 * error shape, request ids, cookies and sessions, health, metrics and OpenAPI.
 * Routes are registered by the caller.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: options.logger,
    // One log line per request instead of Fastify's two.
    logController: new OneLinePerRequest(),
    genReqId: requestIdOf,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Services sit behind the gateway or an ingress on private addresses: trust
    // X-Forwarded-* only from those, so a direct caller cannot fake its address.
    trustProxy: 'loopback,linklocal,uniquelocal',
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  // First, so that every other hook and the handler run inside the request's span.
  await app.register(tracingPlugin);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: anything else is 415 rather than a string body failing validation.
  app.removeContentTypeParser(['text/plain']);
  parseJsonBodies(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(errorHandlerPlugin);
  await app.register(closeGracefullyPlugin);
  await app.register(metricsPlugin, { service: options.name });
  // Before cookies are parsed, sessions verified or bodies read: a refusal costs next to nothing.
  await app.register(admissionPlugin, options.admission ?? DEFAULT_ADMISSION);
  await app.register(cookie);
  if (options.verifySession) await app.register(authPlugin, { verify: options.verifySession });
  await app.register(healthPlugin, { checks: options.readiness ?? {} });

  // Registered after health and metrics so that only API routes reach the document.
  await app.register(swagger, {
    openapi: {
      info: { title: `GitTix ${options.name}`, version: '1.0.0' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'session' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  if (options.openapiPath) {
    app.get(options.openapiPath, { schema: { hide: true } }, async () => app.swagger());
  }
  return app;
}
