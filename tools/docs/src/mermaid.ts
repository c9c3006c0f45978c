import { JSDOM } from 'jsdom';

/** The text of every ```mermaid block of a Markdown document, in order. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** A flowchart as Mermaid's own parser reads it: node ids with their labels, and the arrows. */
export interface Flowchart {
  kind: 'flowchart';
  nodes: Map<string, string>;
  edges: Array<{ from: string; to: string; label: string }>;
}

/** A sequence diagram as Mermaid reads it: who takes part, and every message's and note's text. */
export interface SequenceDiagram {
  kind: 'sequence';
  participants: string[];
  texts: string[];
}

export type Diagram = Flowchart | SequenceDiagram | { kind: 'other'; type: string };

// Mermaid's parser is the one GitHub renders with; it needs a DOM only for DOMPurify,
// which it sets up when first imported, so the window comes first.
let mermaid: Promise<typeof import('mermaid').default> | undefined;
function loadMermaid() {
  mermaid ??= (async () => {
    (globalThis as { window?: unknown }).window ??= new JSDOM('').window;
    return (await import('mermaid')).default;
  })();
  return mermaid;
}

// Mermaid types its diagram databases loosely; these are the parts read here.
interface FlowDb {
  getVertices(): Map<string, { id: string; text?: string }>;
  getEdges(): Array<{ start: string; end: string; text?: string }>;
}
interface SequenceDb {
  getActors(): Map<string, { name: string; description?: string }>;
  /** Messages, notes and block labels; `message` is an object for settings such as autonumber. */
  getMessages(): Array<{ message?: unknown }>;
}

/**
 * Parses one diagram with Mermaid itself (throws its parse error, with the line)
 * and returns what it drew: a flowchart's nodes and edges, a sequence's texts.
 */
export async function parseDiagram(text: string): Promise<Diagram> {
  const api = await loadMermaid();
  await api.parse(text);
  const diagram = await api.mermaidAPI.getDiagramFromText(text);
  if (diagram.type.startsWith('flowchart')) {
    const db = diagram.db as unknown as FlowDb;
    return {
      kind: 'flowchart',
      nodes: new Map([...db.getVertices().values()].map((v) => [v.id, v.text ?? v.id])),
      edges: db.getEdges().map((e) => ({ from: e.start, to: e.end, label: e.text ?? '' })),
    };
  }
  if (diagram.type === 'sequence') {
    const db = diagram.db as unknown as SequenceDb;
    return {
      kind: 'sequence',
      participants: [...db.getActors().values()].map((a) => a.name),
      texts: db
        .getMessages()
        .map((m) => m.message)
        .filter((m): m is string => typeof m === 'string'),
    };
  }
  return { kind: 'other', type: diagram.type };
}
