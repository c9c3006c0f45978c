import { routesOf, type ServiceSpec } from '../../../scripts/system/services.js';
import type { Flowchart } from './mermaid.js';

/** The node ids the README's system diagram uses for what services stand on. */
export const INFRA_NODES = {
  database: (name: string) => `pg_${name}`,
  nats: 'nats',
  redis: 'redis',
} as const;

const linked = (chart: Flowchart, a: string, b: string) =>
  chart.edges.some((e) => (e.from === a && e.to === b) || (e.from === b && e.to === a));

/**
 * What the system diagram gets wrong about services.json, one line each (empty:
 * nothing): every process is a node (id = its name) labelled with its port, the
 * gateway routes to it when it has a route, and it is linked to its database
 * (`pg_<database>`), to NATS and to Redis exactly when services.json says so.
 */
export function systemDiagramProblems(chart: Flowchart, services: ServiceSpec[]): string[] {
  const problems: string[] = [];
  for (const s of services) {
    const label = chart.nodes.get(s.name);
    if (label === undefined) {
      problems.push(`${s.name}: no node with id "${s.name}"`);
      continue;
    }
    if (!label.includes(`:${s.port}`)) problems.push(`${s.name}: its label lacks ":${s.port}"`);
    for (const path of routesOf(s)) {
      const route = chart.edges.find((e) => e.from === 'gateway' && e.to === s.name);
      if (!route?.label.includes(path))
        problems.push(`${s.name}: no arrow gateway --> ${s.name} labelled with "${path}"`);
    }
    const database = s.database === null ? undefined : INFRA_NODES.database(s.database);
    for (const node of chart.nodes.keys()) {
      if (
        node.startsWith(INFRA_NODES.database('')) &&
        node !== database &&
        linked(chart, s.name, node)
      )
        problems.push(`${s.name}: linked to ${node}, but its database is ${s.database ?? 'none'}`);
    }
    if (database && !linked(chart, s.name, database))
      problems.push(`${s.name}: no arrow to ${database} (its database)`);
    for (const need of ['nats', 'redis'] as const) {
      if (s[need] !== linked(chart, s.name, INFRA_NODES[need]))
        problems.push(
          `${s.name}: services.json says ${need} ${s[need]}, the diagram ${s[need] ? 'has no arrow to' : 'links it to'} ${INFRA_NODES[need]}`,
        );
    }
  }
  return problems;
}

/** Who publishes and who consumes each subject. */
export type EventRoutes = Map<string, { publisher: string; consumers: Set<string> }>;

/**
 * docs/events.md's table: the publisher column, and the consumers column's
 * services (the first word of each comma-separated entry; `—` for none).
 */
export function eventsTable(markdown: string): EventRoutes {
  const routes: EventRoutes = new Map();
  for (const line of markdown.split('\n')) {
    const cells = /^\| `([a-z_.]+)` \| (\w+) \| (.+?) \| .* \|$/.exec(line);
    if (!cells) continue;
    const [, subject, publisher, consumerCell] = cells;
    const entries = consumerCell === '—' ? [] : topLevelParts(consumerCell!);
    routes.set(subject!, {
      publisher: publisher!,
      consumers: new Set(entries.map((entry) => entry.split(/[\s(]/)[0]!)),
    });
  }
  return routes;
}

/** Splits at commas outside parentheses: `tickets (reserve), payments (replica, void)`. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  return [...parts, current.trim()].filter(Boolean);
}

/**
 * The routes docs/events.md's diagram draws: each arrow goes from the publisher to
 * a consumer and names the subjects it carries, one per line; an arrow to
 * `unconsumedNode` carries subjects nobody consumes.
 */
export function diagramRoutes(chart: Flowchart, unconsumedNode: string): EventRoutes {
  const routes: EventRoutes = new Map();
  for (const edge of chart.edges) {
    for (const subject of edge.label.split(/<br\s*\/?>/).map((s) => s.trim())) {
      if (!subject) continue;
      const route = routes.get(subject) ?? { publisher: edge.from, consumers: new Set<string>() };
      if (route.publisher !== edge.from) route.publisher = `${route.publisher} and ${edge.from}`;
      if (edge.to !== unconsumedNode) route.consumers.add(edge.to);
      routes.set(subject, route);
    }
  }
  return routes;
}

/** Where two views of who publishes and consumes what disagree, one line each. */
export function routeProblems(table: EventRoutes, drawn: EventRoutes): string[] {
  const problems: string[] = [];
  const describe = (r: { publisher: string; consumers: Set<string> } | undefined) =>
    r ? `${r.publisher} → ${[...r.consumers].sort().join(', ') || 'nobody'}` : 'missing';
  for (const subject of new Set([...table.keys(), ...drawn.keys()])) {
    const [want, got] = [describe(table.get(subject)), describe(drawn.get(subject))];
    if (want !== got) problems.push(`${subject}: the table says ${want}, the diagram ${got}`);
  }
  return problems;
}

/** Subject-like words (`order.created`) in a text whose first part is one of `families`. */
export function subjectsNamed(texts: string[], families: Set<string>): Set<string> {
  const named = new Set<string>();
  for (const text of texts) {
    for (const [word, family] of text.matchAll(/\b([a-z]+)\.[a-z_]+\b/g)) {
      if (families.has(family!)) named.add(word);
    }
  }
  return named;
}
