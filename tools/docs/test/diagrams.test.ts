import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { eventSchemas } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { type ServiceSpec, services } from '../../../scripts/system/services.js';
import {
  diagramRoutes,
  eventsTable,
  routeProblems,
  subjectsNamed,
  systemDiagramProblems,
} from '../src/diagram-checks.js';
import { type Flowchart, mermaidBlocks, parseDiagram } from '../src/mermaid.js';

const root = new URL('../../../', import.meta.url).pathname;
const readRepoFile = (path: string) => readFile(join(root, path), 'utf8');
const subjects = Object.keys(eventSchemas);
const families = new Set(subjects.map((subject) => subject.split('.')[0]!));
/** docs/events.md's diagram sends subjects nobody consumes to this node. */
const UNCONSUMED = 'unconsumed';

/** Every Markdown file of the repository (not dependencies, build output or test output). */
async function markdownFiles(dir = root): Promise<string[]> {
  const skip = new Set(['node_modules', '.git', 'dist', '.next', 'test-output', 'results']);
  const entries = await readdir(dir, { withFileTypes: true });
  const found = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return skip.has(entry.name) ? [] : markdownFiles(path);
      return entry.name.endsWith('.md') ? [relative(root, path)] : [];
    }),
  );
  return found.flat();
}

/** The one flowchart of a document. */
async function onlyFlowchart(path: string): Promise<Flowchart> {
  const blocks = mermaidBlocks(await readRepoFile(path));
  expect(blocks, `${path} has one diagram`).toHaveLength(1);
  const diagram = await parseDiagram(blocks[0]!);
  if (diagram.kind !== 'flowchart') throw new Error(`${path}: not a flowchart`);
  return diagram;
}

describe('the diagrams in the docs', () => {
  it('when a document has Mermaid diagrams, then every one parses with Mermaid’s own parser', async () => {
    const files = await markdownFiles();
    let diagrams = 0;
    for (const file of files) {
      for (const block of mermaidBlocks(await readRepoFile(file))) {
        diagrams++;
        await expect(parseDiagram(block), file).resolves.toMatchObject({
          kind: expect.stringMatching(/flowchart|sequence/),
        });
      }
    }
    expect(diagrams).toBeGreaterThanOrEqual(3);
  });

  it('when services.json lists a process, then the README’s system diagram shows it with its port, route, database, NATS and Redis', async () => {
    expect(systemDiagramProblems(await onlyFlowchart('README.md'), services)).toEqual([]);
  });

  it('when docs/events.md’s table says who publishes and consumes a subject, then its diagram draws exactly that', async () => {
    const markdown = await readRepoFile('docs/events.md');
    const drawn = diagramRoutes(await onlyFlowchart('docs/events.md'), UNCONSUMED);

    expect(routeProblems(eventsTable(markdown), drawn)).toEqual([]);
  });

  it('when a subject is in the event contracts, then docs/events.md’s table and diagram have it, and nothing else', async () => {
    const markdown = await readRepoFile('docs/events.md');
    const drawn = diagramRoutes(await onlyFlowchart('docs/events.md'), UNCONSUMED);

    expect([...eventsTable(markdown).keys()].sort()).toEqual([...subjects].sort());
    expect([...drawn.keys()].sort()).toEqual([...subjects].sort());
  });

  it('when docs/purchase.md draws a purchase, then it goes order → reserve → pay → complete → capture → payout, expiry and cancel included, in subjects that exist', async () => {
    const [block, ...others] = mermaidBlocks(await readRepoFile('docs/purchase.md'));
    const diagram = await parseDiagram(block!);
    if (diagram.kind !== 'sequence') throw new Error('docs/purchase.md: not a sequence diagram');
    const named = subjectsNamed(diagram.texts, families);

    expect(others).toEqual([]);
    expect([...named].filter((subject) => !subjects.includes(subject))).toEqual([]);
    expect(
      [
        'order.created',
        'ticket.updated',
        'payment.created',
        'order.completed',
        'payment.captured',
        'payout.paid',
        'expiration.complete',
        'order.cancelled',
      ].filter((subject) => !named.has(subject)),
    ).toEqual([]);
    expect(diagram.participants).toEqual(
      expect.arrayContaining(['orders', 'tickets', 'expiration', 'payments', 'notifications']),
    );
  });
});

describe('the diagram checks', () => {
  const chart = (text: string) => parseDiagram(`flowchart LR\n${text}`).then((d) => d as Flowchart);
  const service = (over: Partial<ServiceSpec>): ServiceSpec => ({
    name: 'orders',
    port: 3003,
    route: '/api/orders',
    database: 'orders',
    nats: true,
    redis: false,
    ...over,
  });

  it('when a diagram has a syntax error, then parsing fails and says where', async () => {
    await expect(parseDiagram('flowchart LR\n  a -->')).rejects.toThrow(/Parse error on line \d+/);
  });

  it('when services.json has a process the diagram lacks or draws wrongly, then each difference is named', async () => {
    const drawn = await chart(
      '  gateway -->|/api/orders| orders["orders :3003"]\n  orders --> pg_orders[(db)]\n  orders <--> nats',
    );

    expect(systemDiagramProblems(drawn, [service({})])).toEqual([]);
    expect(
      systemDiagramProblems(drawn, [
        service({ port: 3030, nats: false, redis: true, database: 'sales' }),
        service({ name: 'refunds' }),
      ]),
    ).toEqual([
      'orders: its label lacks ":3030"',
      'orders: linked to pg_orders, but its database is sales',
      'orders: no arrow to pg_sales (its database)',
      'orders: services.json says nats false, the diagram links it to nats',
      'orders: services.json says redis true, the diagram has no arrow to redis',
      'refunds: no node with id "refunds"',
    ]);
  });

  it('when the events diagram and table disagree on a publisher or a consumer, then the subject is named', async () => {
    const table = eventsTable(
      [
        '| `order.created` | orders | tickets (reserve), payments (replica, then void) | … |',
        '| `payment.voided` | payments | — | … |',
      ].join('\n'),
    );
    const drawn = diagramRoutes(
      await chart(
        '  orders -->|"order.created"| tickets\n  tickets -->|"payment.voided"| unconsumed',
      ),
      'unconsumed',
    );

    expect([...table.get('order.created')!.consumers]).toEqual(['tickets', 'payments']);
    expect(routeProblems(table, drawn)).toEqual([
      'order.created: the table says orders → payments, tickets, the diagram orders → tickets',
      'payment.voided: the table says payments → nobody, the diagram tickets → nobody',
    ]);
  });
});
