import { JSDOM } from 'jsdom';

/** The body rows of the Markdown table whose header starts with `firstHeader`, cells trimmed. */
export function tableRows(markdown: string, firstHeader: string): string[][] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => line.startsWith(`| ${firstHeader} `));
  if (header < 0) throw new Error(`no table starting with "${firstHeader}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The text (or an attribute) of every element matching `selector` in an SVG document. */
export function svgTexts(svg: string, selector: string, attribute?: string): string[] {
  const { document } = new JSDOM(svg, { contentType: 'image/svg+xml' }).window;
  return [...document.querySelectorAll(selector)].map((element) =>
    attribute ? (element.getAttribute(attribute) ?? '') : (element.textContent ?? ''),
  );
}
