import { ZodObject, ZodPipe, type z } from 'zod';

/** The README's table sits between these lines; everything but its last column is generated. */
export const TABLE_START =
  '<!-- config-table: `npm run docs:config` writes this table from the config schemas and keeps its last column -->';
export const TABLE_END = '<!-- /config-table -->';

const HEADER = '| key | used by | default | what it sets |\n| --- | --- | --- | --- |';
const ROW = /^\| `([A-Z0-9_]+)` \|.*\| ([^|]*) \|$/gm;

interface Setting {
  key: string;
  /** The services that read the key, in the order of the schemas. */
  services: string[];
  /** Its value when unset, per service: a default, NONE (optional) or REQUIRED. */
  defaults: Array<string | typeof NONE | typeof REQUIRED>;
}

const NONE = Symbol('no default');
const REQUIRED = Symbol('required');

/** The object schema under a service's refinements and transforms. */
function objectOf(schema: z.ZodType): z.ZodObject {
  if (schema instanceof ZodObject) return schema;
  if (schema instanceof ZodPipe) return objectOf(schema.in as z.ZodType);
  throw new Error(`A config schema must be a zod object (or one piped into a transform)`);
}

/** What a key's schema makes of an unset variable. */
function unsetValue(field: z.ZodType): Setting['defaults'][number] {
  const result = field.safeParse(undefined);
  if (!result.success) return REQUIRED;
  return result.data === undefined ? NONE : String(result.data);
}

/** Every key of every schema, the ones most services share first. */
export function settingsOf(schemas: Record<string, z.ZodType>): Setting[] {
  const settings = new Map<string, Setting>();
  for (const [service, schema] of Object.entries(schemas)) {
    for (const [key, field] of Object.entries(objectOf(schema).shape)) {
      const setting = settings.get(key) ?? { key, services: [], defaults: [] };
      setting.services.push(service);
      setting.defaults.push(unsetValue(field as z.ZodType));
      settings.set(key, setting);
    }
  }
  return [...settings.values()].sort((a, b) => b.services.length - a.services.length);
}

function usedBy(services: string[], everyService: string[]): string {
  const others = everyService.filter((service) => !services.includes(service));
  if (others.length === 0) return 'every service';
  if (others.length === 1) return `every service but ${others[0]}`;
  return services.join(', ');
}

const shown = (value: Setting['defaults'][number]) =>
  value === NONE ? '—' : value === REQUIRED ? 'required' : `\`${value}\``;

/** One default, a pattern naming `<service>`, or each service's own. */
function defaultCell({ services, defaults }: Setting): string {
  const cells = defaults.map(shown);
  if (cells.every((cell) => cell === cells[0])) return cells[0]!;
  const patterns = defaults.map((value, i) =>
    typeof value === 'string' ? value.replaceAll(services[i]!, '<service>') : undefined,
  );
  if (patterns.every((pattern) => pattern !== undefined && pattern === patterns[0])) {
    return `\`${patterns[0]}\``;
  }
  return services.map((service, i) => `${service} ${cells[i]}`).join(', ');
}

/** The last column of the table in `readme`, by key. */
export function descriptionsIn(readme: string): Map<string, string> {
  return new Map([...tableIn(readme).matchAll(ROW)].map(([, key, text]) => [key!, text!.trim()]));
}

export function renderConfigTable(
  schemas: Record<string, z.ZodType>,
  descriptions: Map<string, string>,
): string {
  const everyService = Object.keys(schemas);
  const rows = settingsOf(schemas).map(
    (setting) =>
      `| \`${setting.key}\` | ${usedBy(setting.services, everyService)} | ${defaultCell(setting)} | ${descriptions.get(setting.key) ?? ''} |`,
  );
  return [HEADER, ...rows].join('\n');
}

function tableBounds(readme: string): [start: number, end: number] {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks ${TABLE_START} … ${TABLE_END}`);
  return [start + TABLE_START.length, end];
}

/** The table as it stands in `readme`. */
export function tableIn(readme: string): string {
  const [start, end] = tableBounds(readme);
  return readme.slice(start, end).trim();
}

export function withTable(readme: string, table: string): string {
  const [start, end] = tableBounds(readme);
  return `${readme.slice(0, start)}\n${table}\n${readme.slice(end)}`;
}
