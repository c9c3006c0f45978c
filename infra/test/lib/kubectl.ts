/**
 * infra/k8s as the real kustomize renders it: `kubectl kustomize <dir>` (kubectl
 * embeds kustomize), its output parsed with `yaml`. Each directory is rendered once
 * per test file. Without kubectl, or with one whose kustomize predates v5, rendering
 * throws a message that says how to install it: the checks are not skipped.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { infraDir, repoRoot } from './repo.js';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** The kustomize the manifests are written and checked against (kubectl 1.27+ embeds v5). */
export const minimumKustomizeMajor = 5;

export const installKubectl =
  `Install kubectl 1.27 or newer (it embeds kustomize v${minimumKustomizeMajor}): ` +
  'https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/ (a package from the ' +
  "Kubernetes apt repository, or the Google Cloud SDK's kubectl package). Debian's own " +
  'kubernetes-client is 1.20, too old. See infra/README.md, "Checking the manifests".';

/** The kustomize directories the tests render: the base and every overlay. */
export const kustomizeDirs: string[] = [
  'infra/k8s/base',
  ...readdirSync(join(infraDir, 'k8s/overlays'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `infra/k8s/overlays/${entry.name}`)
    .sort(),
];

/** Why `kubectl` cannot render the manifests, or undefined when it can. */
export function kubectlProblem(kubectl = 'kubectl'): string | undefined {
  const result = spawnSync(kubectl, ['version', '--client', '--output=json'], {
    encoding: 'utf8',
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return `kubectl is not installed (${kubectl}: not found). ${installKubectl}`;
  }
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim();
    return `kubectl is not usable (${why}). ${installKubectl}`;
  }
  let version: unknown;
  try {
    version = (JSON.parse(result.stdout) as { kustomizeVersion?: unknown }).kustomizeVersion;
  } catch {
    version = undefined;
  }
  const major = typeof version === 'string' ? Number(/^v(\d+)\./.exec(version)?.[1]) : Number.NaN;
  if (!(major >= minimumKustomizeMajor)) {
    return `kubectl embeds kustomize ${String(version ?? '(none)')}, older than v${minimumKustomizeMajor}. ${installKubectl}`;
  }
  return undefined;
}

const problems = new Map<string, string | undefined>();
const rendered = new Map<string, Resource[]>();

/**
 * Every object `kubectl kustomize <dir>` renders, once per directory (relative to the
 * repository root) and kubectl binary. Throws when kubectl is missing or too old, when
 * kustomize fails, or when an output document is not a Kubernetes object.
 */
export function kustomize(dir: string, kubectl = 'kubectl'): Resource[] {
  const key = `${kubectl} ${dir}`;
  let objects = rendered.get(key);
  if (!objects) {
    objects = renderKustomization(dir, kubectl);
    rendered.set(key, objects);
  }
  return objects;
}

/** `kubectl kustomize <dir>` run now, not cached (for directories the test changes). */
export function renderKustomization(dir: string, kubectl = 'kubectl'): Resource[] {
  if (!problems.has(kubectl)) problems.set(kubectl, kubectlProblem(kubectl));
  const problem = problems.get(kubectl);
  if (problem) throw new Error(problem);
  const result = spawnSync(kubectl, ['kustomize', resolve(repoRoot, dir)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${dir} failed: ${result.error?.message ?? result.stderr}`);
  }
  return parseResources(result.stdout, `kubectl kustomize ${dir}`);
}

/** The Kubernetes objects of a multi-document YAML stream; anything else throws. */
export function parseResources(text: string, where: string): Resource[] {
  const objects: Resource[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isResource(value)) {
      throw new Error(`${where}: not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(value);
  }
  return objects;
}

function isResource(value: unknown): value is Resource {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>).name === 'string'
  );
}
