/** What the infra tests compare the manifests against: the repository's own lists. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
// services.json as the launcher reads it, and its choice of where each process is ready.
import {
  defaultPorts,
  eventsProcessOf,
  readinessUrl,
  repoRoot,
  routesOf,
  type ServiceSpec,
  services,
} from '../../../scripts/system/services.js';

export { eventsProcessOf, repoRoot, routesOf, type ServiceSpec, services };
export const infraDir = join(repoRoot, 'infra');

/**
 * Parsed YAML as the tests navigate it. Its shape is what the tests check, so it is
 * deliberately untyped here, in this one place.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Yaml = any;

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

export function readYaml<T = Record<string, unknown>>(path: string): T {
  // Compose files use `<<` merge keys; Kubernetes manifests are plain YAML.
  return parse(readRepoFile(path), { merge: true }) as T;
}

export const portOf = (name: string): number => {
  const port = defaultPorts[name];
  if (port === undefined) throw new Error(`${name} is not in services.json`);
  return port;
};

/**
 * Request-serving processes get an autoscaler and a disruption budget: everything
 * with a route, and the gateway. (expiration is a worker.)
 */
export const isRequestServing = (s: ServiceSpec): boolean =>
  s.route !== null || s.name === 'gateway';

/**
 * The Deployments (and Compose services) that run a service: its own, and for a service
 * whose events are consumed apart (services.json `consumersApart`), `<name>-events`.
 */
export const processNamesOf = (s: ServiceSpec): string[] =>
  s.consumersApart ? [s.name, eventsProcessOf(s.name)] : [s.name];

export type Probe = { kind: 'http'; path: string } | { kind: 'tcp' };
export interface Health {
  liveness: Probe;
  readiness: Probe;
}

/**
 * The health endpoints each process really has. Every Fastify process (the services
 * and the gateway) registers @gittix/common's health plugin: `/healthz` (alive) and
 * `/readyz` (dependencies usable, 503 while shutting down). The web app answers
 * `/healthz` only: its pages need the backends, which have probes of their own.
 * Checked against the launcher's own choice (scripts/system/services.ts).
 */
export function healthOf(s: ServiceSpec): Health {
  const launcherProbe = new URL(readinessUrl(s, defaultPorts)).pathname;
  if (s.name === 'web') {
    if (launcherProbe !== '/healthz') throw new Error(`web is launched on ${launcherProbe}`);
    return {
      liveness: { kind: 'http', path: '/healthz' },
      readiness: { kind: 'http', path: '/healthz' },
    };
  }
  return {
    liveness: { kind: 'http', path: '/healthz' },
    readiness: { kind: 'http', path: '/readyz' },
  };
}

/** Every environment key the README's configuration table (the one list of them) documents. */
export function documentedEnvKeys(): Set<string> {
  const text = readRepoFile('README.md');
  const start = text.indexOf('## Configuration');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end === -1 ? undefined : end);
  const keys = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) keys.add(match[1]!);
  }
  return keys;
}

/**
 * Keys the infrastructure adds beyond the README's table: the runtime mode, the
 * parts DATABASE_URL is assembled from in Kubernetes (and REDIS_URL's password), and Next's telemetry switch.
 */
export const infraEnvKeys = new Set([
  'NODE_ENV',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'REDIS_PASSWORD',
  'NEXT_TELEMETRY_DISABLED',
]);

/** SHUTDOWN_TIMEOUT_MS's default (the README's configuration table). */
export const defaultShutdownTimeoutMs = 10_000;
