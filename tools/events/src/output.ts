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

/**
 * An event's payload as JSON, with the single-use tokens of verification and reset
 * links in clear (`token`) shown as `[Redacted]`: they take an account over for 30
 * minutes, and a terminal's scrollback or a pasted snippet is no place for them.
 * Auth seals them now (`sealedToken`, useless without the key), but events written
 * before that can still be in the stream or among the dead letters.
 */
export function payloadText(data: unknown): string {
  return JSON.stringify(data, (key, value: unknown) =>
    key === 'token' && typeof value === 'string' ? '[Redacted]' : value,
  );
}

/** One line of at most `max` characters. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
