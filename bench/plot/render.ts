import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One chart of a report: the Vega-Lite spec that draws it and the file it is written to. */
export interface Chart {
  /** File name in the report's charts folder, e.g. `read-path-latency.svg`. */
  file: string;
  /** What it shows, one line: the image's alt text in the report. */
  title: string;
  spec: TopLevelSpec;
}

/** Colours and fonts every chart shares, so the reports read as one set. */
const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  title: { fontSize: 14, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    labelLimit: 0,
    orient: 'bottom',
    direction: 'vertical',
  },
  view: { stroke: '#ddd' },
} as const;

/** The chart as an SVG document: Vega renders it headless, no browser or canvas involved. */
export async function renderSvg(chart: Chart): Promise<string> {
  const spec = { ...chart.spec, config: { ...CONFIG, ...chart.spec.config } } as TopLevelSpec;
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Writes each chart as `<dir>/<file>` and removes any other SVG there, so a chart
 * a run could not draw (no data for it) does not linger from an older run.
 */
export async function writeCharts(dir: string, charts: Chart[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written = new Set(charts.map((c) => c.file));
  for (const name of await readdir(dir)) {
    if (name.endsWith('.svg') && !written.has(name)) await rm(join(dir, name));
  }
  for (const chart of charts) await writeFile(join(dir, chart.file), `${await renderSvg(chart)}\n`);
  return [...written];
}

/** The Markdown that opens a report: each chart as an image, linked from the charts folder. */
export function chartLinks(folder: string, charts: Chart[]): string {
  return charts.map((chart) => `![${chart.title}](${folder}/${chart.file})`).join('\n\n');
}
