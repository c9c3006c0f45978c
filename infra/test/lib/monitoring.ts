/**
 * A component (the monitoring one, infra/k8s/components/monitoring, and the others) as
 * an overlay would use it: a throwaway kustomization that adds it to an overlay,
 * rendered by `kubectl kustomize` like the overlays themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { type Resource, renderKustomization } from './kubectl.js';
import { infraDir, readRepoFile } from './repo.js';

export const monitoringComponent = 'infra/k8s/components/monitoring';

/**
 * Every object of `overlay` with the monitoring component added, in the overlay's
 * namespace (as when the overlay lists the component itself).
 */
export function renderWithMonitoring(overlay = 'dev'): Resource[] {
  return renderWithComponent(overlay, monitoringComponent);
}

/** Every object of `overlay` with the component at `component` (a repo path) added. */
export function renderWithComponent(overlay: string, component: string): Resource[] {
  const { namespace } = parse(readRepoFile(`infra/k8s/overlays/${overlay}/kustomization.yaml`));
  const dir = mkdtempSync(join(tmpdir(), 'gittix-component-'));
  try {
    // Kustomize takes only relative paths to other kustomizations.
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace,
        resources: [relative(dir, join(infraDir, 'k8s/overlays', overlay))],
        components: [relative(dir, join(infraDir, '..', component))],
      }),
    );
    return renderKustomization(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
