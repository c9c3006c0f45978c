import fc from 'fast-check';

/** JSON text inserted verbatim: numbers JSON.stringify cannot write (`-0`, `1e309`), deep nesting. */
export class RawJson {
  constructor(readonly text: string) {}
  toString() {
    return `RawJson(${this.text.length > 60 ? `${this.text.slice(0, 60)}…` : this.text})`;
  }
}

/**
 * An object as a list of entries, so that it can hold what a JS object cannot:
 * duplicate keys, and `__proto__` as a plain key.
 */
export class JsonObject {
  constructor(readonly entries: Array<[string, JsonTree]>) {}
}

/** encodeURIComponent that also takes lone surrogates (as the UTF-8 of U+FFFD, like Node does). */
export function percentEncode(value: string): string {
  return value.replace(/[^A-Za-z0-9\-_.!~*'()]/gu, (c) =>
    [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export type JsonTree = null | boolean | number | string | RawJson | JsonObject | JsonTree[];

export function toJsonText(value: JsonTree): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonObject) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

export const prototypeKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
];

/** Strings that have broken parsers, databases and templates before. */
const nastyStrings = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\uFEFF',
  '\u202Eevil',
  '\u200B',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  "' OR '1'='1' --",
  '"; DROP TABLE tickets; --',
  '%',
  '_',
  '\\',
  '%00',
  '%%%%',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '$' + '{7*7}',
  '{{7*7}}',
  'tok_visa',
  'tok_chargeDeclined',
  '😀'.repeat(40),
  'Ⅻ𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'A\u030A\u0301\u0302\u0303',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', ' '), fc.integer({ min: 100, max: 20_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

const rawNumbers = [
  '-0',
  '1e309',
  '-1e309',
  '1e-400',
  '123456789012345678901234567890',
  '0.30000000000000004',
  '1.000000000000000000001',
  '1E2',
  '0.0',
  '-0.0e0',
  '1000000.001',
  '999999.995',
].map((text) => new RawJson(text));

export const hostileNumber: fc.Arbitrary<number | RawJson> = fc.oneof(
  fc.constantFrom(
    0,
    1,
    -1,
    0.01,
    0.001,
    0.015,
    0.1 + 0.2,
    1 / 3,
    999_999.99,
    1_000_000,
    1_000_000.01,
    1e308,
    5e-324,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    2 ** 31,
    -(2 ** 31) - 1,
  ),
  fc.constantFrom(...rawNumbers),
  fc.double(),
  fc.integer(),
  fc.integer({ min: 1, max: 100_000_000 }).map((cents) => cents / 100),
);

/** `[[[[…]]]]` or `{"a":{"a":…}}` thousands of levels deep. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.boolean(), fc.integer({ min: 100, max: 40_000 }))
  .map(([arrays, depth]) =>
    arrays
      ? new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`)
      : new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...prototypeKeys),
  hostileString,
  fc.string({ maxLength: 10 }),
);

/** Any JSON value, hostile at every level: odd numbers, strings and keys, prototype keys. */
export const hostileJson: fc.Arbitrary<JsonTree> = fc.letrec<{ tree: JsonTree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    hostileNumber,
    hostileString,
    { weight: 1, arbitrary: deepNesting },
    fc.array(tie('tree'), { maxLength: 5 }),
    fc
      .array(fc.tuple(hostileKey, tie('tree')), { maxLength: 6 })
      .map((entries) => new JsonObject(entries)),
  ),
})).tree;

/** A prototype-pollution attempt, as clients send it. */
export const pollution: fc.Arbitrary<Array<[string, JsonTree]>> = fc.constantFrom(
  [['__proto__', new JsonObject([['isAdmin', true]])]],
  [['constructor', new JsonObject([['prototype', new JsonObject([['polluted', true]])]])]],
  [['__proto__', new JsonObject([['userId', '00000000-0000-0000-0000-000000000000']])]],
  [['prototype', null]],
);

/**
 * An object made of the given fields (each valid, hostile or missing), plus
 * extra and prototype-pollution entries, in any order, sometimes repeated.
 */
export function objectOf(fields: Record<string, fc.Arbitrary<JsonTree>>): fc.Arbitrary<JsonObject> {
  const present = Object.entries(fields).map(([name, value]) =>
    fc.option(
      value.map((v): [string, JsonTree] => [name, v]),
      { nil: undefined, freq: 6 },
    ),
  );
  const extras = fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as Array<[string, JsonTree]>) },
    { weight: 1, arbitrary: pollution },
    { weight: 1, arbitrary: fc.array(fc.tuple(hostileKey, hostileJson), { maxLength: 3 }) },
  );
  return fc
    .tuple(fc.tuple(...present), extras, fc.boolean(), fc.nat(5))
    .map(([fieldEntries, extra, extraFirst, oneInSix]) => {
      const own = fieldEntries.filter((e): e is [string, JsonTree] => e !== undefined);
      const entries = extraFirst ? [...extra, ...own] : [...own, ...extra];
      if (oneInSix === 0 && own.length > 0) entries.push([own[0]![0], null]);
      return new JsonObject(entries);
    });
}
