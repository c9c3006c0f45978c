/**
 * Validation of rendered Kubernetes objects against the Kubernetes API schemas that
 * ship in the `kubernetes-models` package, nothing fetched at test time:
 *
 * - `schemaErrors`: the package's JSON-schema validators (types, required fields,
 *   enums, formats), through each model class's validate().
 * - `unknownFieldErrors`: those schemas accept unknown properties, as the API server
 *   does, while kubectl's strict field validation rejects them. The package's
 *   TypeScript declarations are exact, so each object is type-checked as an object
 *   literal of its kind: a misspelt field (`readinesProbe`) is an excess property.
 */
import { join } from 'node:path';
import ts from 'typescript';
import type { Resource } from './kustomize.js';
import { repoRoot } from './repo.js';

function modelModule(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const path =
    slash < 0 ? apiVersion : `${apiVersion.slice(0, slash)}/${apiVersion.slice(slash + 1)}`;
  return `kubernetes-models/${path}/${kind}`;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Schema problems of one object, or [] when it is valid. */
export async function schemaErrors(obj: Resource): Promise<string[]> {
  let Model: ModelClass | undefined;
  try {
    const mod = (await import(modelModule(obj.apiVersion, obj.kind))) as Record<string, ModelClass>;
    Model = mod[obj.kind];
  } catch {
    Model = undefined;
  }
  if (!Model) return [`${obj.apiVersion} ${obj.kind} is not a known Kubernetes kind`];
  try {
    new Model(obj).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * Misspelt or invented fields, by type-checking each object against the declarations
 * of its kind. One TypeScript program checks them all (it takes a second or two);
 * `labels[i]` prefixes the messages about `objects[i]`.
 */
export function unknownFieldErrors(objects: Resource[], labels: string[] = []): string[] {
  const file = join(repoRoot, 'infra', 'test', '__k8s_strict_check__.ts');
  const types = new Map<string, string>();
  const lines: string[] = [];
  for (const obj of objects) {
    const module = modelModule(obj.apiVersion, obj.kind);
    if (!types.has(module)) {
      const alias = `T${types.size}`;
      types.set(module, alias);
      lines.push(`import type { I${obj.kind} as ${alias} } from '${module}';`);
    }
  }
  const firstObjectLine = lines.length;
  objects.forEach((obj, i) => {
    lines.push(
      `export const o${i}: ${types.get(modelModule(obj.apiVersion, obj.kind))} = ${JSON.stringify(obj)};`,
    );
  });
  const source = lines.join('\n');
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
    .map((d) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const obj = objects[line - firstObjectLine];
      const index = line - firstObjectLine;
      const what = obj
        ? `${labels[index] ?? ''} ${obj.kind} ${obj.metadata.name}`.trim()
        : `line ${line}`;
      return `${what}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
}
