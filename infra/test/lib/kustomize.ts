/**
 * A small kustomize renderer for the tests: `kustomize build <dir>` for exactly the
 * features infra/k8s uses, so the overlays can be checked without a kustomize
 * binary. Anything outside this subset throws instead of being silently ignored:
 *
 * - `resources`: YAML files (multi-document) and directories with a kustomization.
 * - `namespace`: set on namespaced objects; a Namespace object is renamed to it (as
 *   kustomize does).
 * - `labels` with `pairs` and `includeTemplates` (pod, claim and job templates; never
 *   `includeSelectors`).
 * - `configMapGenerator` / `secretGenerator` with `literals`, `envs`, `files`,
 *   `behavior` create/merge/replace, `options` and `generatorOptions`
 *   (disableNameSuffixHash, labels, annotations). Names get kustomize's content hash
 *   suffix, and references from pod specs are rewritten to the hashed names.
 * - `patches` (path or inline): a strategic merge patch (by its own kind/name, or
 *   applied to every `target` match) or a JSON 6902 patch (add/remove/replace/test)
 *   on every `target` match. Targets select by group/version/kind, anchored name
 *   regex, namespace and equality label selectors. A patch that matches nothing
 *   throws (kustomize is laxer); strategic merge knows only the list merge keys below.
 * - `images` (newName/newTag/digest) for containers and initContainers.
 * - `replicas` for Deployments and StatefulSets.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type KObject = Record<string, unknown>;
export interface Resource extends KObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & KObject;
}

interface Generated {
  /** Name before the hash suffix; what other objects refer to. */
  name: string;
  hash: boolean;
}
interface Tracked {
  res: Resource;
  generated?: Generated;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'patches',
  'images',
  'replicas',
]);
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
]);
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

// ---- small helpers ------------------------------------------------------------------

/**
 * Rendered YAML as the tests navigate it. Its shape is what the tests check, so it
 * is deliberately untyped here, in this one place.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Yaml = any;

export function isObject(value: unknown): value is KObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function fail(where: string, message: string): never {
  throw new KustomizeError(`${where}: ${message}`);
}

/** Parses every YAML document of a file; empty documents are skipped. */
export function loadYamlDocuments(text: string, where: string): unknown[] {
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) fail(where, doc.errors.map((e) => e.message).join('; '));
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function asResource(value: unknown, where: string): Resource {
  if (!isObject(value)) fail(where, 'a resource must be a mapping');
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    fail(where, 'a resource needs apiVersion and kind');
  }
  if (!isObject(metadata) || typeof metadata.name !== 'string') {
    fail(where, `${kind} needs metadata.name`);
  }
  return value as Resource;
}

function groupOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function idOf(res: Resource): string {
  const { group } = groupOf(res.apiVersion);
  return `${group}/${res.kind}/${res.metadata.namespace ?? '~'}/${res.metadata.name}`;
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    fail(where, 'must be a list of strings');
  }
  return value;
}

function checkKeys(value: KObject, allowed: string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(where, `unsupported field "${key}"`);
  }
}

// ---- kustomize's name hash (api/hasher) -----------------------------------------------

/** JSON the way Go's encoding/json writes a map: sorted keys, HTML-escaped. */
function goJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (isObject(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sortKeys(v[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sortKeys(value))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The 10-character suffix kustomize appends to a generated ConfigMap or Secret.
 * kustomize v5 (kubectl 1.2x) hashes kind, type and data but an empty name: its
 * hasher looks `metadata/name` up as a single field name and finds nothing. (The
 * kubernetes.io task page still shows names from older versions that hashed it.)
 */
export function kustomizeHash(res: Resource): string {
  const data = res.data ?? '';
  const name = '';
  let encoded: KObject;
  if (res.kind === 'ConfigMap') {
    encoded = { kind: 'ConfigMap', name, data };
    if (isObject(res.binaryData)) encoded.binaryData = res.binaryData;
  } else if (res.kind === 'Secret') {
    encoded = { kind: 'Secret', type: res.type ?? '', name, data };
    if (isObject(res.stringData)) encoded.stringData = res.stringData;
  } else {
    fail(res.kind, 'only ConfigMaps and Secrets are hashed');
  }
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex');
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join('');
}

// ---- generators -------------------------------------------------------------------------

function parseKeyValue(line: string, where: string): [string, string] {
  const eq = line.indexOf('=');
  if (eq <= 0)
    fail(where, `"${line}" is not KEY=VALUE (taking values from the environment is not supported)`);
  const key = line.slice(0, eq).trim();
  const value = line.slice(eq + 1);
  if (/^["']/.test(value)) fail(where, `quoted values are not supported: ${line}`);
  return [key, value];
}

function readEnvFile(path: string): Array<[string, string]> {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  return text
    .split(/\r?\n/)
    .map((line) => line.trimStart())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => parseKeyValue(line, path));
}

interface GeneratorOptions {
  disableNameSuffixHash?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function generate(
  spec: unknown,
  kind: 'ConfigMap' | 'Secret',
  dir: string,
  globalOptions: GeneratorOptions,
  where: string,
): { res: Resource; behavior: string; hash: boolean } {
  if (!isObject(spec) || typeof spec.name !== 'string') fail(where, 'a generator needs a name');
  checkKeys(
    spec,
    [
      'name',
      'behavior',
      'literals',
      'envs',
      'files',
      'options',
      ...(kind === 'Secret' ? ['type'] : []),
    ],
    `${where} ${spec.name}`,
  );
  const entries: Array<[string, string]> = [];
  for (const literal of stringList(spec.literals, `${where}.literals`)) {
    entries.push(parseKeyValue(literal, where));
  }
  for (const envFile of stringList(spec.envs, `${where}.envs`)) {
    entries.push(...readEnvFile(resolve(dir, envFile)));
  }
  for (const file of stringList(spec.files, `${where}.files`)) {
    const eq = file.indexOf('=');
    const [key, path] = eq > 0 ? [file.slice(0, eq), file.slice(eq + 1)] : [basename(file), file];
    entries.push([key, readFileSync(resolve(dir, path), 'utf8')]);
  }
  const data: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key in data) fail(where, `${spec.name}: key ${key} is defined twice`);
    data[key] = kind === 'Secret' ? Buffer.from(value, 'utf8').toString('base64') : value;
  }
  const rawOptions: unknown = spec.options ?? {};
  if (!isObject(rawOptions)) fail(where, 'options must be a mapping');
  checkKeys(rawOptions, ['disableNameSuffixHash', 'labels', 'annotations'], `${where}.options`);
  const options = rawOptions as GeneratorOptions;
  const labels = { ...globalOptions.labels, ...options.labels };
  const annotations = { ...globalOptions.annotations, ...options.annotations };
  const metadata: Resource['metadata'] = { name: spec.name };
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const res: Resource = { apiVersion: 'v1', kind, metadata, data };
  if (kind === 'Secret') res.type = typeof spec.type === 'string' ? spec.type : 'Opaque';
  const behavior = typeof spec.behavior === 'string' ? spec.behavior : 'create';
  if (!['create', 'merge', 'replace'].includes(behavior))
    fail(where, `unknown behavior ${behavior}`);
  // As in kustomize, a global disableNameSuffixHash: true cannot be overridden.
  const hash = !(globalOptions.disableNameSuffixHash || options.disableNameSuffixHash);
  return { res, behavior, hash };
}

// ---- patches ------------------------------------------------------------------------------

/** List fields a strategic merge patch merges by key; every other list is replaced. */
const MERGE_KEYS: Record<string, (item: KObject) => string | undefined> = {
  containers: () => 'name',
  initContainers: () => 'name',
  ephemeralContainers: () => 'name',
  env: () => 'name',
  volumes: () => 'name',
  imagePullSecrets: () => 'name',
  volumeMounts: () => 'mountPath',
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};

export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (!isObject(target)) target = {};
  const out = clone(target) as KObject;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) fail('strategic merge patch', `directive ${key} is not supported`);
    if (value === null) {
      delete out[key];
    } else if (isObject(value)) {
      out[key] = strategicMerge(out[key], value);
    } else if (Array.isArray(value) && Array.isArray(out[key]) && key in MERGE_KEYS) {
      out[key] = mergeList(out[key] as unknown[], value, key);
    } else {
      out[key] = clone(value);
    }
  }
  return out;
}

/**
 * Merges a keyed list the way kustomize (kyaml) does: the patch's items first, in the
 * patch's order and merged into their namesakes, then the target's other items.
 */
function mergeList(target: unknown[], patch: unknown[], field: string): unknown[] {
  const keyOf = MERGE_KEYS[field]!;
  const merged: unknown[] = [];
  const used = new Set<number>();
  for (const item of patch) {
    if (!isObject(item)) fail('strategic merge patch', `${field} items must be mappings`);
    if ('$patch' in item) fail('strategic merge patch', 'directive $patch is not supported');
    const key = keyOf(item);
    if (key === undefined || item[key] === undefined) {
      fail('strategic merge patch', `${field} item without its merge key`);
    }
    const index = target.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (index >= 0) {
      used.add(index);
      merged.push(strategicMerge(target[index], item));
    } else {
      merged.push(clone(item));
    }
  }
  target.forEach((item, index) => {
    if (!used.has(index)) merged.push(clone(item));
  });
  return merged;
}

function pointer(path: string, where: string): string[] {
  if (!path.startsWith('/')) fail(where, `JSON pointer must start with /: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function applyJson6902(doc: Resource, ops: unknown[], where: string): Resource {
  const out = clone(doc) as KObject;
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      fail(where, 'each operation needs op and path');
    }
    const parts = pointer(op.path, where);
    const last = parts.pop()!;
    let parent: unknown = out;
    for (const part of parts) {
      parent = Array.isArray(parent)
        ? parent[Number(part)]
        : isObject(parent)
          ? parent[part]
          : undefined;
      if (parent === undefined) fail(where, `${op.op} ${op.path}: parent does not exist`);
    }
    const has = Array.isArray(parent)
      ? last === '-' || Number(last) < parent.length
      : isObject(parent) && last in parent;
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) {
          if (last === '-') parent.push(clone(op.value));
          else parent.splice(Number(last), 0, clone(op.value));
        } else (parent as KObject)[last] = clone(op.value);
        break;
      case 'replace':
        if (!has) fail(where, `replace ${op.path}: nothing there`);
        if (Array.isArray(parent)) parent[Number(last)] = clone(op.value);
        else (parent as KObject)[last] = clone(op.value);
        break;
      case 'remove':
        if (!has) fail(where, `remove ${op.path}: nothing there`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete (parent as KObject)[last];
        break;
      case 'test': {
        const actual = Array.isArray(parent) ? parent[Number(last)] : (parent as KObject)[last];
        if (JSON.stringify(actual) !== JSON.stringify(op.value))
          fail(where, `test ${op.path} failed`);
        break;
      }
      default:
        fail(where, `JSON patch op "${op.op}" is not supported`);
    }
  }
  return out as Resource;
}

interface Target {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
}

function matchesLabels(res: Resource, selector: string, where: string): boolean {
  const labels = res.metadata.labels ?? {};
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      const m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
      if (!m) fail(where, `only equality label selectors are supported: ${term}`);
      const [, key, op, value] = m;
      return op === '!=' ? labels[key!] !== value : labels[key!] === value;
    });
}

function selects(res: Resource, target: Target, where: string): boolean {
  const { group, version } = groupOf(res.apiVersion);
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (target.kind !== undefined && target.kind !== res.kind) return false;
  if (target.namespace !== undefined && target.namespace !== (res.metadata.namespace ?? ''))
    return false;
  if (target.name !== undefined && !new RegExp(`^(?:${target.name})$`).test(res.metadata.name)) {
    return false;
  }
  if (target.labelSelector !== undefined && !matchesLabels(res, target.labelSelector, where)) {
    return false;
  }
  return true;
}

function applyPatches(tracked: Tracked[], patches: unknown, dir: string, where: string): void {
  if (patches === undefined) return;
  if (!Array.isArray(patches)) fail(where, 'patches must be a list');
  for (const [i, entry] of patches.entries()) {
    const at = `${where} patches[${i}]`;
    if (!isObject(entry)) fail(at, 'must be a mapping');
    checkKeys(entry, ['path', 'patch', 'target'], at);
    const text =
      typeof entry.path === 'string'
        ? readFileSync(resolve(dir, entry.path), 'utf8')
        : typeof entry.patch === 'string'
          ? entry.patch
          : fail(at, 'needs path or patch');
    const docs = loadYamlDocuments(text, at);
    let target: Target | undefined;
    if (entry.target !== undefined) {
      if (!isObject(entry.target)) fail(at, 'target must be a mapping');
      checkKeys(
        entry.target,
        ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector'],
        `${at}.target`,
      );
      target = entry.target as Target;
    }
    if (docs.length === 1 && Array.isArray(docs[0])) {
      if (!target) fail(at, 'a JSON 6902 patch needs a target');
      const hits = tracked.filter((t) => selects(t.res, target, at));
      if (hits.length === 0) fail(at, 'the target matches nothing');
      for (const t of hits) t.res = applyJson6902(t.res, docs[0] as unknown[], at);
      continue;
    }
    for (const doc of docs) {
      if (!isObject(doc)) fail(at, 'a strategic merge patch must be a mapping');
      const patch = clone(doc) as KObject;
      let hits: Tracked[];
      if (target) {
        hits = tracked.filter((t) => selects(t.res, target, at));
      } else {
        const p = asResource(doc, at);
        const { group } = groupOf(p.apiVersion);
        hits = tracked.filter(
          (t) =>
            t.res.kind === p.kind &&
            groupOf(t.res.apiVersion).group === group &&
            (t.generated?.name ?? t.res.metadata.name) === p.metadata.name,
        );
        if (hits.length > 1) fail(at, `${p.kind} ${p.metadata.name} is ambiguous`);
      }
      if (hits.length === 0) fail(at, 'the patch matches nothing');
      // The patch's own identity never overwrites the target's.
      delete patch.apiVersion;
      delete patch.kind;
      if (isObject(patch.metadata)) {
        delete patch.metadata.name;
        delete patch.metadata.namespace;
      }
      for (const t of hits) t.res = strategicMerge(t.res, patch) as Resource;
    }
  }
}

// ---- transformers over pod specs ----------------------------------------------------------

function podSpecsOf(res: Resource): KObject[] {
  const spec = res.spec;
  if (!isObject(spec)) return [];
  if (res.kind === 'Pod') return [spec];
  if (POD_TEMPLATE_KINDS.has(res.kind) && isObject(spec.template) && isObject(spec.template.spec)) {
    return [spec.template.spec];
  }
  if (res.kind === 'CronJob') {
    const job = spec.jobTemplate;
    if (isObject(job) && isObject(job.spec) && isObject(job.spec.template)) {
      const pod = job.spec.template.spec;
      if (isObject(pod)) return [pod];
    }
  }
  return [];
}

function containersOf(pod: KObject): KObject[] {
  return [pod.containers, pod.initContainers].flatMap((list) =>
    Array.isArray(list) ? list.filter(isObject) : [],
  );
}

export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  }
  return { name: rest, digest };
}

function applyImages(tracked: Tracked[], images: unknown, where: string): void {
  if (images === undefined) return;
  if (!Array.isArray(images)) fail(where, 'images must be a list');
  for (const entry of images) {
    if (!isObject(entry) || typeof entry.name !== 'string')
      fail(where, 'an image entry needs a name');
    checkKeys(entry, ['name', 'newName', 'newTag', 'digest'], `${where} images`);
    for (const t of tracked) {
      for (const container of podSpecsOf(t.res).flatMap(containersOf)) {
        if (typeof container.image !== 'string') continue;
        const current = splitImage(container.image);
        if (current.name !== entry.name) continue;
        const name = typeof entry.newName === 'string' ? entry.newName : current.name;
        if (typeof entry.digest === 'string') container.image = `${name}@${entry.digest}`;
        else {
          const tag = entry.newTag !== undefined ? String(entry.newTag) : current.tag;
          container.image = tag ? `${name}:${tag}` : name;
        }
      }
    }
  }
}

function applyReplicas(tracked: Tracked[], replicas: unknown, where: string): void {
  if (replicas === undefined) return;
  if (!Array.isArray(replicas)) fail(where, 'replicas must be a list');
  for (const entry of replicas) {
    if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.count !== 'number') {
      fail(where, 'a replicas entry needs name and count');
    }
    const hits = tracked.filter(
      (t) =>
        ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(t.res.kind) &&
        t.res.metadata.name === entry.name,
    );
    if (hits.length === 0) fail(where, `replicas: no workload named ${entry.name}`);
    for (const t of hits) (t.res.spec as KObject).replicas = entry.count;
  }
}

function applyLabels(tracked: Tracked[], labels: unknown, where: string): void {
  if (labels === undefined) return;
  if (!Array.isArray(labels)) fail(where, 'labels must be a list');
  for (const entry of labels) {
    if (!isObject(entry) || !isObject(entry.pairs)) fail(where, 'a labels entry needs pairs');
    checkKeys(entry, ['pairs', 'includeSelectors', 'includeTemplates'], `${where} labels`);
    if (entry.includeSelectors === true) fail(where, 'labels.includeSelectors is not supported');
    const pairs = entry.pairs as Record<string, string>;
    for (const t of tracked) {
      t.res.metadata.labels = { ...t.res.metadata.labels, ...pairs };
      if (entry.includeTemplates !== true) continue;
      // kustomize's template label paths: pod templates, StatefulSet claim templates,
      // CronJob job templates.
      const spec = t.res.spec;
      if (!isObject(spec)) continue;
      const templates: unknown[] = [];
      if (POD_TEMPLATE_KINDS.has(t.res.kind)) templates.push(spec.template);
      if (t.res.kind === 'StatefulSet' && Array.isArray(spec.volumeClaimTemplates)) {
        templates.push(...spec.volumeClaimTemplates);
      }
      if (t.res.kind === 'CronJob' && isObject(spec.jobTemplate)) {
        templates.push(spec.jobTemplate);
        if (isObject(spec.jobTemplate.spec)) templates.push(spec.jobTemplate.spec.template);
      }
      for (const template of templates.filter(isObject)) {
        if (!isObject(template.metadata)) template.metadata = {};
        const meta = template.metadata as KObject;
        meta.labels = { ...(meta.labels as Record<string, string>), ...pairs };
      }
    }
  }
}

function applyNamespace(tracked: Tracked[], namespace: unknown, where: string): void {
  if (namespace === undefined) return;
  if (typeof namespace !== 'string') fail(where, 'namespace must be a string');
  for (const t of tracked) {
    if (t.res.kind === 'Namespace') t.res.metadata.name = namespace;
    else if (!CLUSTER_SCOPED.has(t.res.kind)) t.res.metadata.namespace = namespace;
  }
}

/** Points pod-spec references at generated ConfigMaps/Secrets to their hashed names. */
function rewriteReferences(res: Resource, names: Map<string, string>): void {
  const rename = (kind: string, holder: KObject, field: string) => {
    const current = holder[field];
    if (typeof current !== 'string') return;
    const renamed = names.get(`${kind}/${current}`);
    if (renamed) holder[field] = renamed;
  };
  for (const pod of podSpecsOf(res)) {
    for (const container of containersOf(pod)) {
      for (const env of Array.isArray(container.env) ? container.env.filter(isObject) : []) {
        const from = env.valueFrom;
        if (!isObject(from)) continue;
        if (isObject(from.configMapKeyRef)) rename('ConfigMap', from.configMapKeyRef, 'name');
        if (isObject(from.secretKeyRef)) rename('Secret', from.secretKeyRef, 'name');
      }
      for (const source of Array.isArray(container.envFrom)
        ? container.envFrom.filter(isObject)
        : []) {
        if (isObject(source.configMapRef)) rename('ConfigMap', source.configMapRef, 'name');
        if (isObject(source.secretRef)) rename('Secret', source.secretRef, 'name');
      }
    }
    for (const volume of Array.isArray(pod.volumes) ? pod.volumes.filter(isObject) : []) {
      if (isObject(volume.configMap)) rename('ConfigMap', volume.configMap, 'name');
      if (isObject(volume.secret)) rename('Secret', volume.secret, 'secretName');
      const projected = volume.projected;
      if (isObject(projected) && Array.isArray(projected.sources)) {
        for (const source of projected.sources.filter(isObject)) {
          if (isObject(source.configMap)) rename('ConfigMap', source.configMap, 'name');
          if (isObject(source.secret)) rename('Secret', source.secret, 'name');
        }
      }
    }
    for (const secret of Array.isArray(pod.imagePullSecrets)
      ? pod.imagePullSecrets.filter(isObject)
      : []) {
      rename('Secret', secret, 'name');
    }
  }
}

// ---- the build --------------------------------------------------------------------------

function kustomizationFile(dir: string): string {
  for (const name of KUSTOMIZATION_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  fail(dir, 'no kustomization.yaml');
}

function build(dir: string): Tracked[] {
  const file = kustomizationFile(dir);
  const [k] = loadYamlDocuments(readFileSync(file, 'utf8'), file);
  if (!isObject(k)) fail(file, 'empty kustomization');
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(key)) fail(file, `"${key}" is outside the renderer's subset`);
  }
  if (k.kind !== undefined && k.kind !== 'Kustomization') fail(file, `kind ${String(k.kind)}`);

  const tracked: Tracked[] = [];
  for (const entry of stringList(k.resources, `${file} resources`)) {
    if (/^[a-z]+:\/\//i.test(entry)) fail(file, `remote resources are not supported: ${entry}`);
    const path = resolve(dir, entry);
    if (!existsSync(path)) fail(file, `resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      tracked.push(...build(path));
    } else {
      for (const doc of loadYamlDocuments(readFileSync(path, 'utf8'), path)) {
        tracked.push({ res: asResource(doc, path) });
      }
    }
  }

  const globalOptions = (k.generatorOptions ?? {}) as GeneratorOptions;
  if (!isObject(globalOptions)) fail(file, 'generatorOptions must be a mapping');
  checkKeys(
    globalOptions as KObject,
    ['disableNameSuffixHash', 'labels', 'annotations'],
    `${file} generatorOptions`,
  );
  for (const [field, kind] of [
    ['configMapGenerator', 'ConfigMap'],
    ['secretGenerator', 'Secret'],
  ] as const) {
    const specs = k[field];
    if (specs === undefined) continue;
    if (!Array.isArray(specs)) fail(file, `${field} must be a list`);
    for (const spec of specs) {
      const { res, behavior, hash } = generate(spec, kind, dir, globalOptions, `${file} ${field}`);
      const existing = tracked.find(
        (t) =>
          t.res.kind === kind && (t.generated?.name ?? t.res.metadata.name) === res.metadata.name,
      );
      if (behavior === 'create') {
        if (existing)
          fail(file, `${kind} ${res.metadata.name} already exists (use behavior: merge)`);
        tracked.push({ res, generated: { name: res.metadata.name, hash } });
      } else {
        if (!existing) fail(file, `${kind} ${res.metadata.name} to ${behavior} does not exist`);
        const data =
          behavior === 'merge'
            ? { ...(existing.res.data as KObject), ...(res.data as KObject) }
            : res.data;
        existing.res = { ...existing.res, data };
        existing.generated = { name: existing.generated?.name ?? res.metadata.name, hash };
      }
    }
  }

  applyPatches(tracked, k.patches, dir, file);
  applyNamespace(tracked, k.namespace, file);
  applyLabels(tracked, k.labels, file);
  applyReplicas(tracked, k.replicas, file);
  applyImages(tracked, k.images, file);

  const seen = new Set<string>();
  for (const t of tracked) {
    const id = idOf(t.res);
    if (seen.has(id)) fail(file, `two resources with the id ${id}`);
    seen.add(id);
  }
  return tracked;
}

/** `kustomize build <dir>` for the subset above: the rendered objects, in input order. */
export function renderKustomization(dir: string): Resource[] {
  const tracked = build(resolve(dir));
  const names = new Map<string, string>();
  for (const t of tracked) {
    if (!t.generated?.hash) continue;
    const finalName = `${t.generated.name}-${kustomizeHash(t.res)}`;
    names.set(`${t.res.kind}/${t.generated.name}`, finalName);
    t.res.metadata.name = finalName;
  }
  for (const t of tracked) rewriteReferences(t.res, names);
  return tracked.map((t) => t.res);
}
