import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConfigError, env, loadConfig, migrateStepConfigSchema } from '../config.js';
import { migrateDatabase, SchemaBehindError } from '../db.js';
import { createLogger } from '../logger.js';
import type { AnyServiceDescription, ConfigOf } from './description.js';
import { openService } from './open-service.js';

/** Loads a service's configuration, or stops the process with one line naming what is wrong. */
export function loadServiceConfig<S extends z.ZodType>(name: string, schema: S): z.output<S> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  }
}

/** The flag of the migrate step: `node dist/main.bundle.js --migrate`. */
export const MIGRATE_FLAG = '--migrate';

/**
 * The keys the migrate step reads: the service's own DATABASE_URL field (its
 * default and checks), which there names the database's owner, the runtime role to
 * grant (DATABASE_RUNTIME_ROLE) and the logging.
 */
function migrateConfigSchema(description: AnyServiceDescription) {
  const schema: unknown = description.configSchema;
  const shape = schema instanceof z.ZodObject ? schema.shape : {};
  return z.object({
    DATABASE_URL: (shape.DATABASE_URL as z.ZodType<string> | undefined) ?? z.url(),
    ...migrateStepConfigSchema.shape,
    LOG_LEVEL: env.logLevel(),
    LOG_PRETTY: env.boolean(false),
  });
}

/**
 * The migrate step of a service (docs/security.md, "Postgres"): connects with
 * DATABASE_URL, which names the database's owner, runs the migrations not yet run,
 * grants DATABASE_RUNTIME_ROLE (when set) its rows, logs what it did and exits
 * (0, or 1 naming what failed). Nothing else is read or
 * opened: no NATS, no keys. Kubernetes runs it in an initContainer, Compose as a
 * one-shot service, the launcher before it starts the services.
 */
export async function runMigrations(description: AnyServiceDescription): Promise<void> {
  const { name, needs } = description;
  const config = loadServiceConfig(`${name} --migrate`, migrateConfigSchema(description));
  const logger = createLogger({ name, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  if (!needs.database) {
    logger.info(`${name} has no database: nothing to migrate`);
    return;
  }
  try {
    const { applied, alreadyApplied } = await migrateDatabase(
      config.DATABASE_URL,
      needs.database.migrations,
      {
        applicationName: `${name}-migrate`,
        runtimeRole: config.DATABASE_RUNTIME_ROLE,
        lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
        lockAttempts: config.MIGRATION_LOCK_ATTEMPTS,
        onLockTimeout: ({ migration, attempt, attempts, retryInMs }) =>
          logger.warn(
            { migration, attempt, attempts, retryInMs },
            `${name}: migration ${migration} waited ${config.MIGRATION_LOCK_TIMEOUT_MS} ms for a lock ` +
              `another transaction holds, and was rolled back; trying again in ${retryInMs} ms`,
          ),
      },
    );
    logger.info(
      { applied, alreadyApplied: alreadyApplied.length },
      applied.length > 0
        ? `${name}: ran ${applied.length} migration(s): ${applied.join(', ')}`
        : `${name}: the database is up to date (${alreadyApplied.length} migrations), nothing to run`,
    );
    if (config.DATABASE_RUNTIME_ROLE) {
      logger.info(
        `${name}: granted ${config.DATABASE_RUNTIME_ROLE} the rows of every table, no DDL`,
      );
    }
  } catch (error) {
    logger.fatal({ err: error }, `${name}: migrating failed`);
    process.stderr.write(`${name} --migrate: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

/**
 * Listens on the service's PORT and HOST with its HTTP_LISTEN_BACKLOG: Node's own
 * backlog (511) dropped connections in an on-sale rush (bench/bottlenecks.md §17).
 */
export async function listenService(
  app: FastifyInstance,
  config: { PORT: number; HOST: string; HTTP_LISTEN_BACKLOG: number },
): Promise<string> {
  return app.listen({ port: config.PORT, host: config.HOST, backlog: config.HTTP_LISTEN_BACKLOG });
}

/**
 * Runs a service as its main.ts; with `--migrate` (MIGRATE_FLAG) its migrate step
 * instead (runMigrations). Otherwise: config from the environment, the connections its
 * description needs, its app and consumers; then until SIGTERM/SIGINT, when it
 * stops in order within SHUTDOWN_TIMEOUT_MS (the process exits anyway after it).
 */
export async function runService(
  description: AnyServiceDescription,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const { name } = description;
  if (argv.includes(MIGRATE_FLAG)) return runMigrations(description);
  const config: ConfigOf<AnyServiceDescription> = loadServiceConfig(name, description.configSchema);
  const logger = createLogger({
    name,
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
    bufferBytes: config.LOG_BUFFER_BYTES,
  });
  let stop: () => Promise<void>;
  try {
    const service = await openService(description, { config, logger });
    stop = () => service.stop();
    service.relay?.start();
    // Absent for a service without NATS; false for an API-only process (natsConfigSchema).
    if ((config as { CONSUME_EVENTS?: boolean }).CONSUME_EVENTS !== false) {
      await service.startConsumers();
    }
    service.startTasks();
    await listenService(service.app, config);
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`${name}: ${error.message}\n`);
    else if (error instanceof SchemaBehindError) {
      // One line a person acts on (the migration to run), in the log and on stderr.
      logger.fatal({ err: error }, `${name} failed to start: ${error.message}`);
      process.stderr.write(`${name}: ${error.message}\n`);
    } else logger.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) logger.error({ err }, `${name} stopping after an unexpected error`);
    else logger.info({ signal }, `${name} stopping`);
    await stop();
    logger.info(`${name} stopped`);
  });
}
