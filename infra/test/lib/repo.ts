/** What the infra tests compare the manifests against: the repository's own lists. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
// The launcher's own knowledge of where each process answers "ready".
import { readinessUrl } from '../../../scripts/system/services.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const infraDir = join(repoRoot, 'infra');

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

export function readYaml<T = Record<string, unknown>>(path: string): T {
  // Compose files use `<<` merge keys; Kubernetes manifests are plain YAML.
  return parse(readRepoFile(path), { merge: true }) as T;
}

export interface ServiceSpec {
  name: string;
  port: number;
  route: string | null;
  database: string | null;
  nats: boolean;
  redis: boolean;
}

export const services: ServiceSpec[] = JSON.parse(readRepoFile('services.json')).services;
export const serviceNames = services.map((s) => s.name);
export const portOf = (name: string): number => {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`${name} is not in services.json`);
  return spec.port;
};

/**
 * Request-serving processes get an autoscaler and a disruption budget: everything
 * with a route, and the gateway. (expiration is a worker.)
 */
export const isRequestServing = (s: ServiceSpec): boolean =>
  s.route !== null || s.name === 'gateway';

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
  const ports = Object.fromEntries(services.map((x) => [x.name, x.port]));
  const launcherProbe = new URL(readinessUrl(s, ports)).pathname;
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

/** Every environment key docs/CONVENTIONS.md documents. */
export function documentedEnvKeys(): Set<string> {
  const text = readRepoFile('docs/CONVENTIONS.md');
  const section = text.slice(text.indexOf('## Configuration'));
  const keys = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) keys.add(match[1]!);
  }
  return keys;
}

/**
 * Keys the infrastructure adds beyond docs/CONVENTIONS.md: the runtime mode, the
 * parts DATABASE_URL is assembled from in Kubernetes, and Next's telemetry switch.
 */
export const infraEnvKeys = new Set([
  'NODE_ENV',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'NEXT_TELEMETRY_DISABLED',
]);

/** SHUTDOWN_TIMEOUT_MS's default (docs/CONVENTIONS.md). */
export const defaultShutdownTimeoutMs = 10_000;
