/**
 * Validation of rendered Kubernetes objects against Kubernetes API schemas shipped in
 * npm packages, nothing fetched at test time. Every object must find a schema: a
 * kind none of the registries below knows is an error, never skipped.
 *
 * - `schemaErrors`: the schema's validator (types, required fields, enums, formats).
 * - `unknownFieldErrors`: the kubernetes-models schemas accept unknown properties, as
 *   the API server does, while kubectl's strict field validation rejects them. Their
 *   TypeScript declarations are exact, so each object is type-checked as an object
 *   literal of its kind: a misspelt field (`readinesProbe`) is an excess property.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { cnpgSchemas } from './cnpg-schemas.js';
import type { Resource } from './kubectl.js';
import { repoRoot } from './repo.js';

/** A kind's schema: its validator, and where the unknown-field pass finds its exact type. */
export interface KindSchema {
  /** Schema problems of one object, [] when it is valid. */
  validate(obj: Resource): string[];
  /**
   * `import type { <name> } from '<module>'` declares the kind exactly. Without one the
   * validator itself must reject unknown fields (e.g. Ajv with additionalProperties: false).
   */
  exactType?: { module: string; name: string };
}

/**
 * Model packages by API group, for custom resources. kubernetes-models covers the
 * built-in groups; its sibling packages lay out CRDs the same way
 * (`<package>/<group>/<version>/<Kind>`, the class and its `I<Kind>` type). To render
 * a ServiceMonitor, `npm install -D @kubernetes-models/prometheus-operator` and add
 * `'monitoring.coreos.com': '@kubernetes-models/prometheus-operator'` here; likewise
 * `'keda.sh': '@kubernetes-models/keda'` for a ScaledObject.
 */
export const modelPackages: Record<string, string> = {
  // KEDA's ScaledObject (the prod overlay's workers); 0.4.x runs on Node 20.
  'keda.sh': '@kubernetes-models/keda',
  // ServiceMonitor, PrometheusRule (infra/k8s/components/monitoring); 4.x runs on Node 20.
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/**
 * Kinds no model package covers, keyed `<apiVersion> <Kind>`: e.g. CloudNativePG's
 * `postgresql.cnpg.io/v1 Cluster`, validated by Ajv against the openAPIV3Schema of the
 * CRD the operator ships.
 */
export const customSchemas = new Map<string, KindSchema>(cnpgSchemas());

const builtInModels = 'kubernetes-models';

function groupAndVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The module declaring a kind in its model package (core kinds sit at `v1/<Kind>`). */
function modelModule(apiVersion: string, kind: string): string {
  const { group, version } = groupAndVersion(apiVersion);
  const pkg = modelPackages[group] ?? builtInModels;
  return [pkg, group, version, kind].filter(Boolean).join('/');
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

const schemas = new Map<string, Promise<KindSchema | undefined>>();

async function loadModelSchema(apiVersion: string, kind: string): Promise<KindSchema | undefined> {
  const module = modelModule(apiVersion, kind);
  let Model: ModelClass | undefined;
  try {
    Model = ((await import(module)) as Record<string, ModelClass | undefined>)[kind];
  } catch {
    return undefined;
  }
  if (!Model) return undefined;
  const Validated = Model;
  return {
    validate(obj) {
      try {
        new Validated(obj).validate();
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    },
    exactType: { module, name: `I${kind}` },
  };
}

/** The schema of a kind, or undefined when no registry knows it. */
export function schemaOf(apiVersion: string, kind: string): Promise<KindSchema | undefined> {
  const key = `${apiVersion} ${kind}`;
  const custom = customSchemas.get(key);
  if (custom) return Promise.resolve(custom);
  let schema = schemas.get(key);
  if (!schema) {
    schema = loadModelSchema(apiVersion, kind);
    schemas.set(key, schema);
  }
  return schema;
}

/** Schema problems of one object, or [] when it is valid. */
export async function schemaErrors(obj: Resource): Promise<string[]> {
  const schema = await schemaOf(obj.apiVersion, obj.kind);
  if (!schema) {
    const { group } = groupAndVersion(obj.apiVersion);
    return [
      `no schema for ${obj.apiVersion} ${obj.kind}: register one in infra/test/lib/k8s-schema.ts ` +
        `(modelPackages['${group}'] for a kubernetes-models package, or customSchemas)`,
    ];
  }
  return schema.validate(obj);
}

/**
 * Misspelt or invented fields, by type-checking each object against the exact
 * declaration of its kind. One TypeScript program checks them all (a second or two);
 * `labels[i]` prefixes the messages about `objects[i]`. Objects of kinds without a
 * schema are left to `schemaErrors`, which reports them.
 */
export async function unknownFieldErrors(
  objects: Resource[],
  labels: string[] = [],
): Promise<string[]> {
  const file = join(repoRoot, 'infra', 'test', '__k8s_strict_check__.ts');
  const aliases = new Map<string, string>();
  const imports: string[] = [];
  const checked: Array<{ obj: Resource; label: string; alias: string }> = [];
  for (const [i, obj] of objects.entries()) {
    const type = (await schemaOf(obj.apiVersion, obj.kind))?.exactType;
    if (!type) continue;
    const id = `${type.module}#${type.name}`;
    let alias = aliases.get(id);
    if (!alias) {
      alias = `T${aliases.size}`;
      aliases.set(id, alias);
      imports.push(`import type { ${type.name} as ${alias} } from '${type.module}';`);
    }
    checked.push({ obj, label: labels[i] ?? '', alias });
  }
  const lines = [
    ...imports,
    ...checked.map(({ obj, alias }, i) => `export const o${i}: ${alias} = ${JSON.stringify(obj)};`),
  ];
  const diagnostics = typeCheck(file, lines.join('\n'));
  return diagnostics.map(({ line, message }) => {
    const entry = checked[line - imports.length];
    const what = entry
      ? `${entry.label} ${entry.obj.kind} ${entry.obj.metadata.name}`.trim()
      : `line ${line}`;
    return `${what}: ${message}`;
  });
}

/** Type errors in one in-memory TypeScript file that imports from node_modules. */
function typeCheck(file: string, source: string): Array<{ line: number; message: string }> {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    lib: ['lib.es5.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, language)
      : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ({
      line: d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line,
      message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
    }));
}
