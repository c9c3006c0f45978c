import { createHash } from 'node:crypto';

/** A stable 32-bit number for a text: the same key always lands in the same lane. */
export function hash32(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}
