import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NATS_ADMIN_USER,
  type NatsNames,
  type NatsUser,
  natsUser,
  natsUsersWithRandomPasswords,
} from '@gittix/common';
import { mailCatcher } from './mail-catcher.js';
import { freePort, pollUntil, portOpen } from './network.js';
import {
  embeddedPostgres,
  natsServer,
  postgresAnswers,
  redisServer,
  type Server,
} from './servers.js';

/** Where a GitTix finds its servers. */
export interface InfraUrls {
  /** A server URL without a database, e.g. postgres://postgres@127.0.0.1:5432 */
  postgresUrl: string;
  natsUrl: string;
  redisUrl: string;
}

/** The local mail catcher's ports (docs/api.md, Email). */
export const MAIL_CATCHER = { host: '127.0.0.1', smtpPort: 1025, webPort: 1080 };

type Log = (line: string) => void;

const portOf = (url: URL, standard: number) => Number(url.port || standard);

/**
 * Makes sure Postgres, NATS (JetStream) and Redis answer at the given URLs. What
 * is already running is used as it is; what is not is started into `dataDir`:
 * an embedded Postgres (npm package), `nats-server -js` and `redis-server` from
 * PATH. A missing server binary stops with how to install it.
 */
export async function ensureInfra(
  urls: InfraUrls & { smtpUrl?: string | undefined },
  dataDir: string,
  log: Log,
  /** The stream and subject prefix, for the permissions of a NATS the launcher starts. */
  natsNames: NatsNames = { stream: 'GITTIX', subjectPrefix: 'gittix' },
) {
  const started: Array<{ what: string; server: Server }> = [];
  let natsUsers: NatsUser[] | undefined;
  const stop = async () => {
    for (const { server } of [...started].reverse()) await server.stop().catch(() => {});
  };
  try {
    const pgUrl = new URL(urls.postgresUrl);
    if (!(await postgresAnswers(urls.postgresUrl))) {
      const dir = join(dataDir, 'postgres');
      log(`PostgreSQL is not answering at ${pgUrl.host}: starting an embedded one in ${dir}`);
      const server = embeddedPostgres({
        host: pgUrl.hostname,
        port: portOf(pgUrl, 5432),
        dir,
        user: decodeURIComponent(pgUrl.username || 'postgres'),
        password: decodeURIComponent(pgUrl.password || 'postgres'),
      });
      await server.start().catch((error: Error) => {
        throw new Error(
          `${error.message}: an existing cluster in ${dir} may have other credentials than ` +
            'POSTGRES_URL (delete the folder, or set POSTGRES_URL to match it)',
        );
      });
      started.push({ what: `embedded PostgreSQL on port ${portOf(pgUrl, 5432)}`, server });
    }

    const nats = new URL(urls.natsUrl);
    if (!(await portOpen(nats.hostname, portOf(nats, 4222)))) {
      log(`NATS is not running at ${nats.host}: starting nats-server -js with a user per service`);
      // Fresh passwords each start: the server is ours and lives as long as this launcher.
      natsUsers = natsUsersWithRandomPasswords(natsNames);
      const dir = join(dataDir, 'nats');
      const options = { host: nats.hostname, port: portOf(nats, 4222), dir, users: natsUsers };
      const server = natsServer(options, ' or point NATS_URL at a running server with JetStream');
      await server.start();
      const admin = natsUser(natsUsers, NATS_ADMIN_USER);
      await writeFile(
        join(dir, 'admin.env'),
        `NATS_USER=${admin.user}\nNATS_PASSWORD=${admin.password}\n`,
        { mode: 0o600 },
      );
      log(`the events CLI needs the NATS admin: set -a; . ${join(dir, 'admin.env')}`);
      started.push({ what: `nats-server on port ${options.port}`, server });
    }

    const redis = new URL(urls.redisUrl);
    if (!(await portOpen(redis.hostname, portOf(redis, 6379)))) {
      log(`Redis is not running at ${redis.host}: starting redis-server`);
      const options = {
        host: redis.hostname,
        port: portOf(redis, 6379),
        dir: join(dataDir, 'redis'),
      };
      const server = redisServer(options, ' or point REDIS_URL at a running Redis 7');
      await server.start();
      started.push({ what: `redis-server on port ${options.port}`, server });
    }

    if (!urls.smtpUrl) {
      const { host, smtpPort, webPort } = MAIL_CATCHER;
      if (await portOpen(host, smtpPort)) {
        log(`SMTP_URL is not set and ${host}:${smtpPort} is taken: emails go there`);
      } else {
        const options = { host, port: smtpPort, webPort, dir: join(dataDir, 'mail') };
        const server = mailCatcher(options);
        await server.start();
        started.push({ what: `a mail catcher (MailDev) on SMTP ${host}:${smtpPort}`, server });
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    /** The users of the NATS server it started (undefined: it found one running). */
    natsUsers,
    /** What was started (empty when everything was already running). */
    started: started.map((s) => s.what),
    /** Where to read the emails GitTix sends. */
    mail: urls.smtpUrl
      ? 'emails go to SMTP_URL'
      : `emails arrive in the mail catcher at http://localhost:${MAIL_CATCHER.webPort}`,
    stop,
  };
}

/** Servers of a caller's own, which it may stop and start again (chaos does). */
export interface PrivateInfra {
  /** With a NATS cluster, `natsUrl` lists every node, separated by commas. */
  urls: InfraUrls;
  postgres: Server;
  /** NATS: the one server, or every node of the cluster at once. */
  nats: Server;
  /** The cluster's nodes, each on its own (one entry without a cluster). */
  natsNodes: Server[];
  /** The nodes' HTTP monitoring URLs (`/jsz`), with a cluster; empty without. */
  natsMonitorUrls: string[];
  redis: Server;
  /** The temporary folder holding every server's data and log. */
  root: string;
  /** Stops every server and deletes the folder. */
  destroy(): Promise<void>;
}

/**
 * Postgres, NATS (JetStream) and Redis on spare loopback ports, their data and
 * logs in one temporary folder: never the machine's shared servers, which a
 * caller that stops servers must not touch.
 */
export async function startPrivateInfra(
  options: {
    /** Start NATS with these users and their permissions (natsUsersWithRandomPasswords). */
    natsUsers?: NatsUser[];
    /** How many NATS servers: 1 (default), or 3 forming a JetStream cluster (streams with replicas). */
    natsNodes?: number;
  } = {},
): Promise<PrivateInfra> {
  const root = await mkdtemp(join(tmpdir(), 'gittix-infra-'));
  // The embedded Postgres may run as another user (see embeddedPostgres): it must reach its folder.
  await chmod(root, 0o755);
  const at = async (name: string) => ({
    host: '127.0.0.1',
    port: await freePort(),
    dir: join(root, name),
    logFile: join(root, `${name}.log`),
  });
  const postgres = embeddedPostgres({
    ...(await at('postgres')),
    user: 'postgres',
    password: 'postgres',
  });
  const users = options.natsUsers ? { users: options.natsUsers } : {};
  const { nodes: natsNodes, monitorUrls: natsMonitorUrls } =
    (options.natsNodes ?? 1) === 1
      ? { nodes: [natsServer({ ...(await at('nats')), ...users })], monitorUrls: [] }
      : await natsCluster({ root, count: options.natsNodes!, ...users });
  const nats = serverGroup(natsNodes);
  const redis = redisServer(await at('redis'));
  const servers = [postgres, nats, redis];
  const destroy = async () => {
    for (const server of [...servers].reverse()) await server.stop().catch(() => {});
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const server of servers) await server.start();
    if (natsMonitorUrls.length > 0) await jetStreamClusterReady(natsMonitorUrls);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    urls: { postgresUrl: postgres.url, natsUrl: nats.url, redisUrl: redis.url },
    postgres,
    nats,
    natsNodes,
    natsMonitorUrls,
    redis,
    root,
    destroy,
  };
}

/**
 * `count` nats-server processes forming one JetStream cluster on spare loopback
 * ports (client, route and monitoring port each), their stores and logs under
 * `root` (`nats-<i>/`, `nats-<i>.log`). Not started: start each (or
 * serverGroup(nodes)), then wait for jetStreamClusterReady(monitorUrls).
 */
export async function natsCluster(options: {
  root: string;
  count: number;
  users?: NatsUser[];
}): Promise<{ nodes: Server[]; monitorUrls: string[] }> {
  const { root, count } = options;
  const [clientPorts, routePorts, monitorPorts] = [
    await freePorts(count),
    await freePorts(count),
    await freePorts(count),
  ];
  const nodes: Server[] = [];
  const monitorUrls: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `nats-${i + 1}`;
    monitorUrls.push(`http://127.0.0.1:${monitorPorts![i]}`);
    nodes.push(
      natsServer({
        host: '127.0.0.1',
        port: clientPorts![i]!,
        dir: join(root, name),
        logFile: join(root, `${name}.log`),
        ...(options.users ? { users: options.users } : {}),
        cluster: {
          name: 'gittix',
          serverName: name,
          routePort: routePorts![i]!,
          peerRoutePorts: routePorts!.filter((_, j) => j !== i),
          monitorPort: monitorPorts![i]!,
        },
      }),
    );
  }
  return { nodes, monitorUrls };
}

/** `count` distinct spare ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** Several servers as one: started together, stopped together; its URL lists them all. */
export function serverGroup(servers: Server[]): Server {
  if (servers.length === 1) return servers[0]!;
  return {
    url: servers.map((server) => server.url).join(','),
    async start() {
      await Promise.all(servers.map((server) => server.start()));
    },
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

/** What a node's `/jsz` says about the JetStream cluster it is in. */
export interface JetStreamClusterView {
  leader: string | undefined;
  size: number;
  /** Routes this node has to other nodes (`/routez`). */
  routes: number;
}

/** A node's view of the JetStream cluster, from its monitoring port's `/jsz`. */
export async function jetStreamClusterView(monitorUrl: string): Promise<JetStreamClusterView> {
  const response = await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(2_000) });
  const body = (await response.json()) as {
    meta_cluster?: { leader?: string; cluster_size?: number };
  };
  const meta = body.meta_cluster;
  const routez = await fetch(`${monitorUrl}/routez`, { signal: AbortSignal.timeout(2_000) });
  const { num_routes } = (await routez.json()) as { num_routes?: number };
  return {
    leader: meta?.leader || undefined,
    size: meta?.cluster_size ?? 0,
    routes: num_routes ?? 0,
  };
}

/**
 * Waits until every node sees the same JetStream meta leader in a cluster of all
 * of them: before that, creating a stream fails ("JetStream system temporarily
 * unavailable") and the services would not start.
 */
export async function jetStreamClusterReady(monitorUrls: string[], timeoutMs = 30_000) {
  await pollUntil(
    async () => {
      try {
        const views = await Promise.all(monitorUrls.map(jetStreamClusterView));
        const leader = views[0]?.leader;
        return (
          leader !== undefined &&
          views.every((view) => view.leader === leader && view.size === monitorUrls.length)
        );
      } catch {
        return false;
      }
    },
    `a JetStream cluster of ${monitorUrls.length} nodes with a leader`,
    timeoutMs,
  );
}
