import { gzipSync } from 'node:zlib';

export interface Script {
  src: string;
  rawBytes: number;
  gzipBytes: number;
}

export interface PageWeight {
  page: string;
  scripts: Script[];
}

// Modern browsers skip `nomodule` scripts (Next's legacy polyfills), so they don't count.
const SCRIPT_TAG = /<script\b[^>]*>/g;
const SRC = /\bsrc="([^"]+)"/;

const sizes = new Map<string, Promise<Script>>();

function measureScript(baseUrl: string, src: string): Promise<Script> {
  let script = sizes.get(src);
  if (!script) {
    script = fetch(new URL(src, baseUrl))
      .then((response) => response.arrayBuffer())
      .then((body) => ({
        src,
        rawBytes: body.byteLength,
        gzipBytes: gzipSync(Buffer.from(body), { level: 6 }).length,
      }));
    sizes.set(src, script);
  }
  return script;
}

/**
 * JavaScript a first visit downloads: every module <script src> in the server's
 * HTML, measured raw and gzipped. `next build` (Turbopack) no longer prints
 * per-route sizes, so this measures what a browser actually gets.
 */
export async function pageWeight(
  baseUrl: string,
  page: string,
  cookie?: string,
): Promise<PageWeight> {
  const response = await fetch(`${baseUrl}${page}`, {
    headers: cookie ? { cookie } : {},
    redirect: 'manual',
  });
  if (response.status !== 200) throw new Error(`${page} answered ${response.status}`);
  const html = await response.text();
  const sources = new Set<string>();
  for (const [tag] of html.matchAll(SCRIPT_TAG)) {
    const src = SRC.exec(tag)?.[1];
    if (src && !/\bnomodule\b/i.test(tag)) sources.add(src.replaceAll('&amp;', '&'));
  }
  const scripts = await Promise.all([...sources].map((src) => measureScript(baseUrl, src)));
  return { page, scripts };
}

export interface WeightRow {
  page: string;
  scripts: number;
  rawBytes: number;
  gzipBytes: number;
  /** Bytes only some pages load (the rest is the framework every page shares). */
  ownGzipBytes: number;
}

/** Totals per page, and what is specific to each page beyond the scripts all pages share. */
export function weightRows(weights: PageWeight[]): { rows: WeightRow[]; sharedGzipBytes: number } {
  const counts = new Map<string, number>();
  for (const w of weights)
    for (const s of w.scripts) counts.set(s.src, (counts.get(s.src) ?? 0) + 1);
  const shared = (s: Script) => counts.get(s.src) === weights.length;
  const sum = (scripts: Script[], key: 'rawBytes' | 'gzipBytes') =>
    scripts.reduce((total, s) => total + s[key], 0);
  const rows = weights.map((w) => ({
    page: w.page,
    scripts: w.scripts.length,
    rawBytes: sum(w.scripts, 'rawBytes'),
    gzipBytes: sum(w.scripts, 'gzipBytes'),
    ownGzipBytes: sum(
      w.scripts.filter((s) => !shared(s)),
      'gzipBytes',
    ),
  }));
  const sharedGzipBytes = sum(weights[0]?.scripts.filter(shared) ?? [], 'gzipBytes');
  return { rows, sharedGzipBytes };
}
