/**
 * Whether a string is well-formed Unicode. A JSON escape such as `\ud83c` can carry
 * half a character (a lone surrogate) that UTF-8 cannot encode: Postgres, JSON and
 * email would each store or show something else than what was sent, so it is refused.
 */
export function isWellFormedText(value: string): boolean {
  // With the `u` flag, a paired surrogate reads as one code point; only a lone half is Cs.
  return !/\p{Cs}/u.test(value);
}

/**
 * Whether a reader would see nothing: only white space and invisible format
 * characters (zero-width space and joiners, BOM, soft hyphen, direction marks).
 */
export function isBlankText(value: string): boolean {
  return /^[\p{White_Space}\p{Cf}]*$/u.test(value);
}
