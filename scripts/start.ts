/**
 * `npm start`: runs the whole of GitTix on this machine at http://localhost:3000.
 * Uses Postgres, NATS and Redis where they run (starting what is missing into
 * .gittix/), builds what is stale, starts every service with prefixed logs and
 * stops them all on Ctrl-C.
 */
import { join } from 'node:path';
import { buildServices, ensureWebBuild } from './system/build.js';
import { ensureInfra } from './system/infra.js';
import { localEmailTokenKey, localSessionKeys } from './system/keys.js';
import { observabilityHints } from './system/observability-hints.js';
import { provisionDatabase } from './system/provision.js';
import { keepSignalsFromEmbeddedPostgres } from './system/servers.js';
import {
  databaseRolesFor,
  defaultPorts,
  repoRoot,
  type SystemSettings,
} from './system/services.js';
import { launchSystem, migrateSystem } from './system/system.js';

const startedAt = Date.now();
const dataDir = join(repoRoot, '.gittix');
const log = (line: string) => process.stdout.write(`[gittix] ${line}\n`);
const env = process.env;

async function main(): Promise<void> {
  // Ctrl-C is ours: the services stop first, then the servers started below.
  keepSignalsFromEmbeddedPostgres();
  const postgresUrl = env.POSTGRES_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432';
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  const smtpUrl = env.SMTP_URL || undefined;
  const stream = env.NATS_STREAM ?? 'GITTIX';
  const subjectPrefix = env.NATS_SUBJECT_PREFIX ?? 'gittix';
  const infra = await ensureInfra({ postgresUrl, natsUrl, redisUrl, smtpUrl }, dataDir, log, {
    stream,
    subjectPrefix,
  });
  for (const what of infra.started) log(`started ${what}`);

  log('building services (tsc -b and bundles)…');
  buildServices();
  ensureWebBuild(log);

  // The privileged step: per database an owner and the service's DML-only runtime role (docs/security.md).
  const databaseRoles = databaseRolesFor((service) => service);
  for (const role of Object.values(databaseRoles)) await provisionDatabase(postgresUrl, role);
  log('provisioned two Postgres roles per database: its owner and the service’s runtime role');

  const gatewayPort = Number(env.PORT ?? defaultPorts.gateway);
  const settings: SystemSettings = {
    ports: { ...defaultPorts, gateway: gatewayPort },
    postgresUrl,
    databaseName: (service) => service,
    databaseRoles,
    natsUrl,
    ...(infra.natsUsers ? { natsUsers: infra.natsUsers } : {}),
    stream,
    subjectPrefix,
    redisUrl,
    queuePrefix: env.QUEUE_PREFIX ?? 'gittix',
    jwt: await localSessionKeys(join(dataDir, 'keys')),
    emailTokenKey: await localEmailTokenKey(join(dataDir, 'keys')),
    ...(env.ORDER_EXPIRATION_SECONDS
      ? { orderExpirationSeconds: Number(env.ORDER_EXPIRATION_SECONDS) }
      : {}),
    ...(smtpUrl ? { smtpUrl } : {}),
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${gatewayPort}`,
    logLevel: env.LOG_LEVEL ?? 'info',
    logPretty: env.LOG_PRETTY !== 'false',
  };

  // The migrate step, as each database's owner; the services then start as their
  // runtime roles, which may not change the schema.
  try {
    await migrateSystem({ settings, mode: 'dist' });
  } catch (error) {
    await infra.stop();
    throw error;
  }
  log('migrated every database (each service’s main.js --migrate)');

  let stopping: Promise<void> | undefined;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = (exitCode: number) => {
    stopping ??= (async () => {
      process.exitCode = exitCode;
      await system.stop();
      await infra.stop();
      stopped();
    })();
    return stopping;
  };
  const system = launchSystem({
    settings,
    mode: 'dist',
    onExit: (message) => {
      log(`${message}; see the service logs above. Stopping.`);
      void stop(1);
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

  try {
    await system.ready();
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    log(
      `GitTix is ready at http://localhost:${settings.ports.gateway} (in ${seconds}s). Ctrl-C stops it.`,
    );
    log(infra.mail);
    for (const line of observabilityHints(
      settings.ports,
      env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    )) {
      log(line);
    }
  } catch (error) {
    if (!stopping) log(`${(error as Error).message}; see the service logs above. Stopping.`);
    await stop(1);
  }
  await done;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
