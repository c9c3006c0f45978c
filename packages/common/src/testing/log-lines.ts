import type { Logger } from 'pino';
import { createLogger } from '../logger.js';

/** One line a capturing logger wrote, parsed. */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/**
 * A service's logger (createLogger: its redaction and trace ids) that keeps every
 * line it writes, parsed, for tests that read the log.
 */
export function capturingLogger(name = 'test'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = { write: (line: string) => lines.push(JSON.parse(line) as LogLine) };
  return { logger: createLogger({ name, destination }), lines };
}
