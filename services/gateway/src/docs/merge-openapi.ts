import { isDeepStrictEqual } from 'node:util';

type JsonObject = Record<string, unknown>;

/** The parts of an OpenAPI 3 document the merge reads; the rest is carried along. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, JsonObject>;
  components?: Record<string, JsonObject>;
  tags?: Array<{ name: string; description?: string }>;
}

export interface ServiceDocument {
  /** The API group, e.g. "Tickets": becomes the tag of the service's operations. */
  service: string;
  document: OpenApiDocument;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export function isOpenApiDocument(value: unknown): value is OpenApiDocument {
  const doc = value as Partial<OpenApiDocument> | null;
  return (
    typeof doc === 'object' &&
    doc !== null &&
    typeof doc.openapi === 'string' &&
    doc.openapi.startsWith('3.') &&
    typeof doc.paths === 'object' &&
    doc.paths !== null
  );
}

/** Deep copy with component references and security requirement names renamed. */
function renamed(value: unknown, refs: Map<string, string>, schemes: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renamed(item, refs, schemes));
  if (typeof value !== 'object' || value === null) return value;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string') copy[key] = refs.get(item) ?? item;
    else if (key === 'security' && Array.isArray(item)) {
      copy[key] = item.map((requirement: JsonObject) =>
        Object.fromEntries(
          Object.entries(requirement).map(([name, scopes]) => [schemes.get(name) ?? name, scopes]),
        ),
      );
    } else copy[key] = renamed(item, refs, schemes);
  }
  return copy;
}

interface Renames {
  /** `section/name` to the name it is merged under. */
  newNames: Map<string, string>;
  refs: Map<string, string>;
  schemes: Map<string, string>;
}

/**
 * Which of a service's components clash with ones already merged. Runs to a fixed
 * point: a component whose text matches an existing one still clashes when it
 * refers to a component that was itself renamed.
 */
function planRenames(
  service: string,
  document: OpenApiDocument,
  merged: Record<string, JsonObject>,
): Renames {
  const renames: Renames = { newNames: new Map(), refs: new Map(), schemes: new Map() };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      for (const [name, definition] of Object.entries(entries)) {
        const taken = merged[section]?.[name];
        if (taken === undefined || renames.newNames.has(`${section}/${name}`)) continue;
        if (isDeepStrictEqual(taken, renamed(definition, renames.refs, renames.schemes))) continue;
        const newName = `${service}_${name}`;
        renames.newNames.set(`${section}/${name}`, newName);
        renames.refs.set(`#/components/${section}/${name}`, `#/components/${section}/${newName}`);
        if (section === 'securitySchemes') renames.schemes.set(name, newName);
        changed = true;
      }
    }
  }
  return renames;
}

/**
 * One document from several services'. Components that two services define
 * differently under one name are kept apart as `<Service>_<name>`, with that
 * service's references rewritten; operations without tags get the service's tag.
 */
export function mergeOpenApi(documents: ServiceDocument[], unavailable: string[]): OpenApiDocument {
  const components: Record<string, JsonObject> = {};
  const paths: Record<string, JsonObject> = {};
  const tags = new Map<string, { name: string; description?: string }>();

  for (const { service, document } of documents) {
    const { newNames, refs, schemes } = planRenames(service, document, components);
    const own = renamed(document, refs, schemes) as OpenApiDocument;

    for (const [section, entries] of Object.entries(own.components ?? {})) {
      const target = components[section] ?? {};
      components[section] = target;
      for (const [name, definition] of Object.entries(entries)) {
        target[newNames.get(`${section}/${name}`) ?? name] = definition;
      }
    }
    for (const [path, item] of Object.entries(own.paths)) {
      const tagged = Object.fromEntries(
        Object.entries(item).map(([method, operation]) => {
          const op = operation as JsonObject;
          if (!METHODS.has(method) || Array.isArray(op.tags)) return [method, operation];
          return [method, { ...op, tags: [service] }];
        }),
      );
      paths[path] = { ...paths[path], ...tagged };
    }
    tags.set(service, { name: service });
    for (const tag of own.tags ?? []) tags.set(tag.name, tag);
  }

  const missing =
    unavailable.length > 0
      ? ` Not included because they did not answer: ${unavailable.join(', ')}.`
      : '';
  return {
    openapi: documents[0]?.document.openapi ?? '3.0.3',
    info: {
      title: 'GitTix API',
      version: '1.0.0',
      description: `Every GitTix API behind this gateway, in one document.${missing}`,
    },
    paths,
    components,
    tags: [...tags.values()],
  };
}
