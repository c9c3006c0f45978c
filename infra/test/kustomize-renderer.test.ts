/**
 * The test renderer stands in for `kustomize build`, so it is tested first: against
 * names the real kustomize generates, and on every feature the overlays use. (Where
 * kubectl is installed, every rendering here and both overlays in k8s.test.ts are
 * also compared with `kubectl kustomize`.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyJson6902,
  kustomizeHash,
  loadYamlDocuments,
  type Resource,
  renderKustomization,
  splitImage,
  strategicMerge,
  type Yaml,
} from './lib/kustomize.js';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** A throwaway directory tree: { 'base/kustomization.yaml': '...', ... }. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gittix-kustomize-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** Where kubectl is installed, the rendering must equal `kubectl kustomize` exactly. */
function expectKubectlAgrees(dir: string, ours: Resource[]): void {
  if (!kubectl) return;
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  const key = (r: Resource) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
  const sorted = (list: Resource[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
  const theirs = loadYamlDocuments(result.stdout, 'kubectl kustomize') as Resource[];
  expect(sorted(ours)).toEqual(sorted(theirs));
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    app: api
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: example/api:1.0
          envFrom:
            - configMapRef:
                name: settings
          env:
            - name: A
              value: "1"
            - name: PASSWORD
              valueFrom:
                secretKeyRef:
                  name: credentials
                  key: PASSWORD
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
`;

const byKind = (out: Resource[], kind: string) => out.filter((r) => r.kind === kind);

// Reference names from `kubectl kustomize` (kubectl 1.32, kustomize v5.5.0) on the
// examples of the kubernetes.io kustomization task page.
describe('kustomize name hashes', () => {
  it('when a ConfigMap is generated from a file, then its suffix is the one kustomize gives', () => {
    const res = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'example-configmap-1' },
      data: { 'application.properties': 'FOO=Bar\n' },
    } as Resource;
    expect(kustomizeHash(res)).toBe('g4hk9g2ff8');
  });

  it('when a ConfigMap is generated from a literal, then its suffix is the one kustomize gives', () => {
    const res = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'example-configmap-2' },
      data: { FOO: 'Bar' },
    } as Resource;
    expect(kustomizeHash(res)).toBe('42cfbf598f');
  });

  it('when Secrets are generated, then their names are the ones kustomize gives', () => {
    const dir = tree({
      'password.txt': 'username=admin\npassword=secret\n',
      'kustomization.yaml': `secretGenerator:
  - name: example-secret-1
    files:
      - password.txt
  - name: example-secret-2
    literals:
      - username=admin
      - password=secert
`,
    });
    const out = renderKustomization(dir);
    expectKubectlAgrees(dir, out);
    const names = out.map((r) => r.metadata.name);
    expect(names).toEqual(['example-secret-1-2kdd8ckcc7', 'example-secret-2-dgb77647f8']);
  });
});

describe('kustomize rendering', () => {
  it('when generators feed a Deployment, then its references follow the hashed names', () => {
    const dir = tree({
      'base/deployment.yaml': deployment,
      'base/settings.env': '# comment\nLEVEL=info\n\nURL=http://x:1/a=b\n',
      'base/kustomization.yaml': `resources:
  - deployment.yaml
configMapGenerator:
  - name: settings
    envs:
      - settings.env
secretGenerator:
  - name: credentials
    literals:
      - PASSWORD=pw
`,
    });
    const out = renderKustomization(join(dir, 'base'));
    expectKubectlAgrees(join(dir, 'base'), out);
    const [cm] = byKind(out, 'ConfigMap');
    const [secret] = byKind(out, 'Secret');
    expect(cm!.data).toEqual({ LEVEL: 'info', URL: 'http://x:1/a=b' });
    expect(cm!.metadata.name).toMatch(/^settings-[a-z0-9]{10}$/);
    expect(secret!.data).toEqual({ PASSWORD: Buffer.from('pw').toString('base64') });
    const container = (byKind(out, 'Deployment')[0]!.spec as Yaml).template.spec.containers[0];
    expect(container.envFrom[0].configMapRef.name).toBe(cm!.metadata.name);
    expect(container.env[1].valueFrom.secretKeyRef.name).toBe(secret!.metadata.name);
  });

  it('when an overlay merges into a generated ConfigMap, then data merges and the hash changes', () => {
    const files = {
      'base/kustomization.yaml':
        'configMapGenerator:\n  - name: settings\n    literals:\n      - A=1\n      - B=2\n',
      'overlay/kustomization.yaml': `resources:
  - ../base
configMapGenerator:
  - name: settings
    behavior: merge
    literals:
      - B=3
      - C=4
`,
    };
    const dir = tree(files);
    const [base] = renderKustomization(join(dir, 'base'));
    const overlay = renderKustomization(join(dir, 'overlay'));
    expectKubectlAgrees(join(dir, 'overlay'), overlay);
    const [merged] = overlay;
    expect(merged!.data).toEqual({ A: '1', B: '3', C: '4' });
    expect(merged!.metadata.name).not.toBe(base!.metadata.name);
  });

  it('when a ConfigMap generator repeats a name without behavior, then rendering fails', () => {
    const dir = tree({
      'base/kustomization.yaml': 'configMapGenerator:\n  - name: s\n    literals: [A=1]\n',
      'overlay/kustomization.yaml':
        'resources: [../base]\nconfigMapGenerator:\n  - name: s\n    literals: [B=1]\n',
    });
    expect(() => renderKustomization(join(dir, 'overlay'))).toThrow(/already exists/);
  });

  it('when namespace, labels, images and replicas are set, then each lands where kustomize puts it', () => {
    const dir = tree({
      'deployment.yaml': deployment,
      'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: placeholder\n',
      'kustomization.yaml': `namespace: team
resources: [ns.yaml, deployment.yaml]
labels:
  - pairs: { part-of: shop }
    includeTemplates: true
images:
  - name: example/api
    newName: registry.local:5000/api
    newTag: "2.0"
replicas:
  - name: api
    count: 3
configMapGenerator:
  - name: settings
    literals: [A=1]
secretGenerator:
  - name: credentials
    literals: [PASSWORD=x]
`,
    });
    const out = renderKustomization(dir);
    expectKubectlAgrees(dir, out);
    const ns = byKind(out, 'Namespace')[0]!;
    const dep = byKind(out, 'Deployment')[0]! as Yaml;
    expect(ns.metadata.name).toBe('team');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(dep.metadata.namespace).toBe('team');
    expect(dep.metadata.labels).toEqual({ app: 'api', 'part-of': 'shop' });
    expect(dep.spec.template.metadata.labels).toEqual({ app: 'api', 'part-of': 'shop' });
    expect(dep.spec.selector.matchLabels).toEqual({ app: 'api' });
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.local:5000/api:2.0');
    expect(dep.spec.replicas).toBe(3);
  });

  it('when a strategic merge patch names a container, then lists merge by key and others are replaced', () => {
    const dir = tree({
      'deployment.yaml': deployment,
      'patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          args: ["--fast"]
          env:
            - name: A
              value: "2"
            - name: B
              value: "new"
          volumeMounts:
            - name: cache
              mountPath: /cache
        - name: sidecar
          image: example/sidecar
`,
      'kustomization.yaml':
        'resources: [deployment.yaml]\npatches:\n  - path: patch.yaml\nconfigMapGenerator:\n  - name: settings\n    literals: [A=1]\nsecretGenerator:\n  - name: credentials\n    literals: [P=1]\n',
    });
    const out = renderKustomization(dir);
    expectKubectlAgrees(dir, out);
    const dep = byKind(out, 'Deployment')[0]! as Yaml;
    // As `kubectl kustomize` orders them: the patch's items first, then the rest.
    const [api, sidecar] = dep.spec.template.spec.containers;
    expect(api.env.map((e: Yaml) => [e.name, e.value])).toEqual([
      ['A', '2'],
      ['B', 'new'],
      ['PASSWORD', undefined],
    ]);
    expect(api.volumeMounts.map((m: Yaml) => m.mountPath)).toEqual(['/cache', '/tmp']);
    expect(api.args).toEqual(['--fast']);
    expect(api.image).toBe('example/api:1.0');
    expect(sidecar.name).toBe('sidecar');
  });

  it('when a JSON 6902 patch targets by label, then every match changes and pointers unescape', () => {
    const second = deployment.replace(/name: api\n {2}labels/, 'name: api2\n  labels');
    const dir = tree({
      'deployments.yaml': `${deployment}---\n${second}`,
      'ops.yaml': `- op: replace
  path: /spec/template/spec/containers/0/image
  value: example/api:9
- op: add
  path: /metadata/annotations
  value: {}
- op: add
  path: /metadata/annotations/example.com~1owner
  value: team
`,
      'kustomization.yaml': `resources: [deployments.yaml]
patches:
  - path: ops.yaml
    target:
      kind: Deployment
      labelSelector: app=api
configMapGenerator:
  - name: settings
    literals: [A=1]
secretGenerator:
  - name: credentials
    literals: [P=1]
`,
    });
    const out = renderKustomization(dir);
    expectKubectlAgrees(dir, out);
    const deps = byKind(out, 'Deployment') as Yaml[];
    expect(deps).toHaveLength(2);
    for (const dep of deps) {
      expect(dep.spec.template.spec.containers[0].image).toBe('example/api:9');
      expect(dep.metadata.annotations).toEqual({ 'example.com/owner': 'team' });
    }
  });

  it('when a patch matches nothing, then rendering fails instead of ignoring it', () => {
    const dir = tree({
      'deployment.yaml': deployment,
      'kustomization.yaml': `resources: [deployment.yaml]
patches:
  - patch: |
      - op: replace
        path: /spec/replicas
        value: 2
    target:
      kind: StatefulSet
`,
    });
    expect(() => renderKustomization(dir)).toThrow(/matches nothing/);
  });

  it('when a kustomization uses a field outside the subset, then rendering fails and names it', () => {
    const dir = tree({
      'deployment.yaml': deployment,
      'kustomization.yaml': 'resources: [deployment.yaml]\nnamePrefix: dev-\n',
    });
    expect(() => renderKustomization(dir)).toThrow(/"namePrefix" is outside/);
  });

  it('when two resources share an id, then rendering fails', () => {
    const dir = tree({
      'a.yaml': deployment,
      'b.yaml': deployment,
      'kustomization.yaml': 'resources: [a.yaml, b.yaml]\n',
    });
    expect(() => renderKustomization(dir)).toThrow(/two resources with the id/);
  });
});

describe('kustomize building blocks', () => {
  it('when a patch sets a key to null, then strategic merge deletes it', () => {
    expect(strategicMerge({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null } })).toEqual({
      a: 1,
      b: { d: 3 },
    });
  });

  it('when a JSON 6902 op replaces a missing path, then it fails', () => {
    const res = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } } as Resource;
    expect(() => applyJson6902(res, [{ op: 'replace', path: '/spec/x', value: 1 }], 't')).toThrow();
  });

  it('when an image has a registry port, then the tag is told apart from the port', () => {
    expect(splitImage('host:5000/team/api:1.2')).toEqual({
      name: 'host:5000/team/api',
      tag: '1.2',
      digest: undefined,
    });
    expect(splitImage('host:5000/team/api')).toEqual({
      name: 'host:5000/team/api',
      digest: undefined,
    });
  });
});
