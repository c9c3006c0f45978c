/** Where a command writes its lines: stdout in the CLI, an array in tests. */
export interface Output {
  line(text: string): void;
}

/** A mistake the user can fix (bad subject, invalid data): printed without a stack, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Left-aligned columns, two spaces apart; the first row is the header. */
export function table(rows: Array<Array<string | number>>): string[] {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0]!.map((_, column) =>
    Math.max(...cells.map((row) => row[column]?.length ?? 0)),
  );
  return cells.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
}

/** One line of at most `max` characters. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
