const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const REFERENCE_GREYS = ['#555555', '#999999'];

/**
 * One colour per series, in order: references in greys, GitTix's own series in
 * colours, so that every chart of a report tells them apart the same way.
 */
export function seriesColours(series: Array<{ reference?: boolean }>): string[] {
  let colour = 0;
  let grey = 0;
  return series.map((s) =>
    s.reference
      ? REFERENCE_GREYS[grey++ % REFERENCE_GREYS.length]!
      : PALETTE[colour++ % PALETTE.length]!,
  );
}
