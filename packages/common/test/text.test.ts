import { describe, expect, it } from 'vitest';
import { isBlankText, isWellFormedText } from '../src/text.js';

describe('text checks', () => {
  it.each([
    ['', true],
    [' \t\n\u00a0\u3000', true],
    ['\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f', true],
    ['a', false],
    ['\u200bZ', false],
    ['🎫', false],
  ])('isBlankText(%j) is %s', (value, blank) => {
    expect(isBlankText(value)).toBe(blank);
  });

  it.each([
    ['Row A 🎫', true],
    ['Zénith', true],
    ['Row A \ud83c', false],
    ['\udfff first', false],
    ['\udfff\ud83c', false],
  ])('isWellFormedText(%j) is %s', (value, wellFormed) => {
    expect(isWellFormedText(value)).toBe(wellFormed);
  });
});
