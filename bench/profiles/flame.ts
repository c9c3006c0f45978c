/**
 * Flame graphs and top frames from `node --cpu-prof` profiles (`npm run bench --
 * --cpu-prof …` writes them). For each `<service>.cpuprofile` in a folder:
 *   - `<out>/<service>.svg`: the call tree as a flame graph (root at the top, an icicle),
 *     width = CPU time, idle left out, frames under 0.5 % of the busy time folded away;
 *     drawn by Vega's partition layout, headless (no browser);
 *   - on stdout, Markdown: the busy time, the top frames by self time and the self
 *     time per package, ready for bench/profiles/README.md.
 *
 *   npx tsx bench/profiles/flame.ts <folder of .cpuprofile> <out folder> [--top 15]
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, type Spec, View } from 'vega';
import { z } from 'zod';
import { markdownTable } from '../harness/markdown.js';

/** The parts of V8's .cpuprofile format this reads (the file crosses a boundary: validated). */
export const cpuProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.number(),
      }),
      hitCount: z.number().default(0),
      children: z.array(z.number()).default([]),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
});
export type CpuProfile = z.output<typeof cpuProfileSchema>;

/** Frames V8 adds that are not code: where nothing ran, or the engine's own work. */
const IDLE = '(idle)';

/** Where a frame's code lives: GitTix, a dependency (its package), Node itself, or V8. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const gittix = /\/(services|packages)\/([^/]+)\//.exec(url);
  return gittix ? `gittix ${gittix[2]}` : 'other';
}

/** `name (file:line)`, the file relative to its package, as a frame's label. */
export function frameLabel(url: string, functionName: string, lineNumber: number): string {
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  const short =
    modules !== -1
      ? file.slice(modules + '/node_modules/'.length)
      : file.replace(/^.*?\/((services|packages)\/.*)$/, '$1');
  return `${name} (${short}:${lineNumber + 1})`;
}

interface Frame {
  id: number;
  parent: number | null;
  label: string;
  pkg: string;
  /** CPU time of samples in this frame itself, ms. */
  selfMs: number;
}

/** The call tree with each frame's self time; the time of one sample is the profile's mean interval. */
export function framesOf(profile: CpuProfile): { frames: Frame[]; intervalMs: number } {
  const intervalMs = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children) parents.set(child, node.id);
  const frames = profile.nodes.map((node) => ({
    id: node.id,
    parent: parents.get(node.id) ?? null,
    label: frameLabel(node.callFrame.url, node.callFrame.functionName, node.callFrame.lineNumber),
    pkg: packageOf(node.callFrame.url, node.callFrame.functionName),
    selfMs: (hits.get(node.id) ?? node.hitCount) * intervalMs,
  }));
  return { frames, intervalMs };
}

/** Each frame's self plus everything under it, ms. */
function totals(frames: Frame[]): Map<number, number> {
  const total = new Map<number, number>();
  const byId = new Map(frames.map((f) => [f.id, f]));
  for (const frame of frames) {
    let at: Frame | undefined = frame;
    while (at) {
      total.set(at.id, (total.get(at.id) ?? 0) + frame.selfMs);
      at = at.parent === null ? undefined : byId.get(at.parent);
    }
  }
  return total;
}

const COLOURS: Record<string, string> = {
  gittix: '#e6550d',
  dependency: '#fdae6b',
  node: '#9ecae1',
  engine: '#bdbdbd',
};
function kindOf(pkg: string): keyof typeof COLOURS {
  if (pkg.startsWith('gittix')) return 'gittix';
  if (pkg === 'node') return 'node';
  if (pkg.startsWith('(')) return 'engine';
  return 'dependency';
}

/** The flame graph as an SVG document, drawn by Vega's stratify + partition. */
export async function flameSvg(title: string, frames: Frame[], minShare = 0.005): Promise<string> {
  const busy = frames.filter((f) => f.label !== IDLE);
  const total = totals(frames.map((f) => (f.label === IDLE ? { ...f, selfMs: 0 } : f)));
  const busyMs = busy.reduce((sum, f) => sum + f.selfMs, 0);
  const root = frames.find((f) => f.parent === null)!;
  // Idle is left out (a service mostly waits); tiny subtrees fold into their parent.
  const keep = new Set<number>();
  for (const f of busy) {
    if (f.id === root.id || (total.get(f.id) ?? 0) >= busyMs * minShare) keep.add(f.id);
  }
  const byId = new Map(frames.map((f) => [f.id, f]));
  const values: Array<Record<string, unknown>> = [];
  const folded = new Map<number, number>();
  let depth = 0;
  for (const f of frames) {
    if (!keep.has(f.id)) {
      // Its self time goes to the nearest kept ancestor, so widths still add up.
      let at = f.parent === null ? undefined : byId.get(f.parent);
      while (at && !keep.has(at.id)) at = at.parent === null ? undefined : byId.get(at.parent);
      if (at && f.label !== IDLE) folded.set(at.id, (folded.get(at.id) ?? 0) + f.selfMs);
      continue;
    }
    let d = 0;
    for (let at = f; at.parent !== null; at = byId.get(at.parent)!) d++;
    depth = Math.max(depth, d);
  }
  for (const f of frames) {
    if (!keep.has(f.id)) continue;
    const ms = f.id === root.id ? 0 : f.selfMs + (folded.get(f.id) ?? 0);
    const share = ((total.get(f.id) ?? 0) / busyMs) * 100;
    values.push({
      id: f.id,
      parent: f.parent,
      ms,
      kind: f.id === root.id ? 'engine' : kindOf(f.pkg),
      label: f.id === root.id ? `all busy time: ${Math.round(busyMs)} ms` : f.label,
      tip: `${f.label}: ${share.toFixed(1)} % of busy time`,
    });
  }
  const rowHeight = 16;
  const width = 1400;
  const spec: Spec = {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width,
    height: (depth + 1) * rowHeight,
    padding: 5,
    title: { text: title, anchor: 'start', fontSize: 14 },
    data: [
      {
        name: 'tree',
        values,
        transform: [
          { type: 'stratify', key: 'id', parentKey: 'parent' },
          {
            type: 'partition',
            field: 'ms',
            sort: { field: 'label' },
            size: [{ signal: 'width' }, { signal: 'height' }],
          },
          { type: 'filter', expr: 'datum.x1 - datum.x0 >= 0.5' },
        ],
      },
    ],
    scales: [
      {
        name: 'colour',
        type: 'ordinal',
        domain: Object.keys(COLOURS),
        range: Object.values(COLOURS),
      },
    ],
    marks: [
      {
        type: 'rect',
        from: { data: 'tree' },
        encode: {
          enter: {
            x: { field: 'x0' },
            x2: { field: 'x1' },
            y: { field: 'y0' },
            y2: { field: 'y1' },
            fill: { scale: 'colour', field: 'kind' },
            stroke: { value: 'white' },
            strokeWidth: { value: 0.5 },
            description: { field: 'tip' },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'tree' },
        encode: {
          enter: {
            x: { signal: 'datum.x0 + 3' },
            y: { signal: '(datum.y0 + datum.y1) / 2' },
            baseline: { value: 'middle' },
            font: { value: 'DejaVu Sans Mono, monospace' },
            fontSize: { value: 10 },
            text: { field: 'label' },
            limit: { signal: 'max(0, datum.x1 - datum.x0 - 6)' },
          },
        },
      },
    ],
  };
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    // The roles Vega writes on every mark double the file and say nothing here; a
    // <title> names the graph (viewers show it, screen readers read it).
    const svg = (await view.toSVG()).replace(/ (role|aria-roledescription)="[^"]*"/g, '');
    return svg.replace(/^(<svg[^>]*>)/, `$1<title>${escapeXml(title)}</title>`);
  } finally {
    view.finalize();
  }
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;

/** The Markdown of one profile: busy time, top frames by self time, self time per package. */
export function topTables(service: string, frames: Frame[], top: number): string {
  const busy = frames.filter((f) => f.label !== IDLE);
  const busyMs = busy.reduce((sum, f) => sum + f.selfMs, 0);
  const allMs = frames.reduce((sum, f) => sum + f.selfMs, 0);
  const bySelf = new Map<string, { ms: number; pkg: string }>();
  const byPkg = new Map<string, number>();
  for (const f of busy) {
    const entry = bySelf.get(f.label) ?? { ms: 0, pkg: f.pkg };
    entry.ms += f.selfMs;
    bySelf.set(f.label, entry);
    byPkg.set(f.pkg, (byPkg.get(f.pkg) ?? 0) + f.selfMs);
  }
  const topFrames = [...bySelf.entries()]
    .filter(([, { ms }]) => ms > 0)
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top);
  const topPkgs = [...byPkg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return [
    `### ${service}`,
    '',
    `Busy ${Math.round(busyMs)} ms of ${Math.round(allMs)} ms profiled (${pct(busyMs, allMs)}).`,
    '',
    markdownTable([
      ['self time', 'share of busy', 'frame', 'package'],
      ...topFrames.map(([label, { ms, pkg }]) => [
        `${Math.round(ms)} ms`,
        pct(ms, busyMs),
        `\`${label}\``,
        pkg,
      ]),
    ]),
    '',
    markdownTable([
      ['package', 'self time', 'share of busy'],
      ...topPkgs.map(([pkg, ms]) => [pkg, `${Math.round(ms)} ms`, pct(ms, busyMs)]),
    ]),
  ].join('\n');
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' } },
  });
  const [from, out] = positionals;
  if (!from || !out) {
    throw new Error('usage: flame.ts <folder of .cpuprofile> <out folder> [--top 15]');
  }
  await mkdir(out, { recursive: true });
  const files = (await readdir(from)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const sections: string[] = [];
  for (const file of files) {
    const service = basename(file, '.cpuprofile');
    const profile = cpuProfileSchema.parse(JSON.parse(await readFile(join(from, file), 'utf8')));
    const { frames } = framesOf(profile);
    const svg = await flameSvg(`${service} (${basename(out)}): CPU by call stack`, frames);
    await writeFile(join(out, `${service}.svg`), `${svg}\n`);
    sections.push(topTables(service, frames, Number(values.top)));
  }
  process.stdout.write(`${sections.join('\n\n')}\n`);
}

// Run as a script, not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
