/**
 * Reads docs/api.md the way the contract test compares it with the code: the route
 * tables, the `Name = {fields}` shapes and the events table, split into the part
 * that is built and the part that is planned.
 */

export interface DocumentedRoute {
  /** `POST /api/orders/{id}`: the method and the path as OpenAPI writes it. */
  operation: string;
  success: number;
  failures: number[];
}

/** A shape's field names; a nested object's fields under its name, null for a leaf. */
export type Fields = { [name: string]: Fields | null };

const PLANNED_HEADING = /^# Part 2: planned$/m;
const ROUTE_ROW = /^\| `(GET|POST|PUT|PATCH|DELETE) (\/api\/[^`\s]*)`[^|]*\|([^|]*)\|([^|]*)\|$/gm;
const SHAPE = /`([A-Z]\w*) = (\{[^`]*\})`/g;
const EVENT_ROW = /^\| `([a-z]+\.[a-z_]+)` \| `(\{[^`]*\})` \|$/gm;
const PAGE_ROW = /^\| (`\/[^|]*)\|/gm;

export function splitContract(markdown: string): { built: string; planned: string } {
  const heading = PLANNED_HEADING.exec(markdown);
  if (!heading) throw new Error('docs/api.md has no "# Part 2: planned" heading');
  return { built: markdown.slice(0, heading.index), planned: markdown.slice(heading.index) };
}

/** A status at the start of a cell's `;`-separated item: "401; 404 unknown" → 401, 404. */
function leadingStatuses(cell: string): number[] {
  return cell
    .split(';')
    .map((item) => /^\s*(\d{3})\b/.exec(item)?.[1])
    .filter((status) => status !== undefined)
    .map(Number);
}

export function routesIn(markdown: string): DocumentedRoute[] {
  return [...markdown.matchAll(ROUTE_ROW)].map(([, method, path, success, failures]) => ({
    operation: `${method} ${path!.replace(/:(\w+)/g, '{$1}')}`,
    success: leadingStatuses(success!)[0] ?? Number.NaN,
    failures: leadingStatuses(failures!),
  }));
}

/** `{id, ticket: {id, price}}` → `{ id: null, ticket: { id: null, price: null } }`. */
export function parseFields(braced: string): Fields {
  const fields: Fields = {};
  let depth = 0;
  let item = '';
  const take = () => {
    const [name, ...rest] = item.split(':');
    const nested = rest.join(':').trim();
    if (name?.trim()) fields[name.trim()] = nested.startsWith('{') ? parseFields(nested) : null;
    item = '';
  };
  for (const char of braced.trim().slice(1, -1)) {
    if (char === '{') depth += 1;
    if (char === '}') depth -= 1;
    if (char === ',' && depth === 0) take();
    else item += char;
  }
  take();
  return fields;
}

export function shapesIn(markdown: string): Map<string, Fields> {
  return new Map(
    [...markdown.matchAll(SHAPE)].map(([, name, braced]) => [name!, parseFields(braced!)]),
  );
}

export function eventPayloadsIn(markdown: string): Map<string, Fields> {
  return new Map(
    [...markdown.matchAll(EVENT_ROW)].map(([, subject, braced]) => [
      subject!,
      parseFields(braced!),
    ]),
  );
}

/** The web pages of the "Web client" tables: `/tickets/:id`, without any `?query`. */
export function pagesIn(markdown: string): string[] {
  return [...markdown.matchAll(PAGE_ROW)].flatMap(([, cell]) =>
    [...cell!.matchAll(/`(\/[^`?]*)[^`]*`/g)].map(([, path]) => path!),
  );
}

/** A Next.js app file (`(listings)/tickets/[id]/page.tsx`) as the path it serves. */
export function pageOfAppFile(file: string): string {
  const segments = file
    .split('/')
    .slice(0, -1)
    .filter((segment) => !/^\(.*\)$/.test(segment))
    .map((segment) => segment.replace(/^\[(\w+)\]$/, ':$1'));
  return `/${segments.join('/')}`;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
}

/** The same outline of a JSON Schema object: its properties, nested objects expanded. */
export function fieldsOfSchema(schema: unknown): Fields | null {
  // Either OpenAPI's or zod's JSON Schema; only these three keywords are read.
  const outline = schema as JsonSchema;
  const object = outline.properties
    ? outline
    : outline.anyOf?.find((variant) => variant.properties);
  if (!object?.properties) return null;
  return Object.fromEntries(
    Object.entries(object.properties).map(([name, property]) => [name, fieldsOfSchema(property)]),
  );
}
