import fc from 'fast-check';
import {
  hostileJson,
  hostileString,
  type JsonTree,
  percentEncode,
  toJsonText,
} from './hostile-json.js';
import { headerSafe } from './sessions.js';

/** What goes on the wire after the request line: content type and body bytes. */
export interface Payload {
  label: string;
  contentType?: string;
  body?: Buffer | string;
}

const jsonTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json; charset=latin1',
      'application/json;charset=UTF-16',
      'application/json; boundary=x; q=0.1',
      'application/vnd.api+json',
      'application/json, text/plain',
      'application/json\t',
    ),
  },
);

const otherTypes = fc.constantFrom(
  undefined,
  '',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'json',
  '*/*',
  ';;;',
  'application/',
);

type Mangle = (text: string) => Buffer | string;
const malformations: Array<[string, Mangle]> = [
  ['truncated', (t) => t.slice(0, Math.max(0, t.length - 1 - (t.length >> 1)))],
  ['trailing garbage', (t) => `${t} }x`],
  ['two documents', (t) => `${t}${t}`],
  ['byte order mark', (t) => `\uFEFF${t}`],
  ['single quotes', (t) => t.replaceAll('"', "'")],
  ['trailing comma', (t) => t.replace(/([}\]])$/, ',$1')],
  ['comment', (t) => `/* hi */${t}`],
  ['NaN literal', () => '{"price":NaN,"title":"x"}'],
  ['undefined literal', () => 'undefined'],
  ['empty', () => ''],
  ['whitespace', () => ' \n\t '],
  ['invalid UTF-8', (t) => Buffer.concat([Buffer.from(t), Buffer.from([0xff, 0xfe, 0xc3])])],
  ['UTF-16', (t) => Buffer.from(t, 'utf16le')],
  ['raw control characters', (t) => t.replaceAll('"', '"\u0001\u0000')],
  ['lone surrogate escape', () => '{"title":"\\ud800","email":"\\udfff@x.io"}'],
  ['huge exponent', () => '{"price":1e999999999999}'],
];

/** Bodies of every kind around `tree`: JSON, broken JSON, other types, none, oversized. */
export function payloads(tree: fc.Arbitrary<JsonTree>): fc.Arbitrary<Payload> {
  const json = fc
    .tuple(tree, jsonTypes)
    .map(
      ([value, contentType]): Payload => ({ label: 'json', contentType, body: toJsonText(value) }),
    );
  const broken = fc.tuple(tree, fc.constantFrom(...malformations), jsonTypes).map(
    ([value, [label, mangle], contentType]): Payload => ({
      label: `malformed: ${label}`,
      contentType,
      body: mangle(toJsonText(value)),
    }),
  );
  const wrongType = fc.tuple(tree, otherTypes).map(
    ([value, contentType]): Payload => ({
      label: `content-type ${String(contentType)}`,
      ...(contentType === undefined ? {} : { contentType }),
      body: toJsonText(value),
    }),
  );
  const none = fc.option(jsonTypes, { nil: undefined }).map(
    (contentType): Payload => ({
      label: 'no body',
      ...(contentType === undefined ? {} : { contentType }),
    }),
  );
  const oversized = fc
    .tuple(fc.integer({ min: 100 * 1024, max: 2 * 1024 * 1024 }), fc.boolean())
    .map(
      ([size, valid]): Payload => ({
        label: `oversized ${size} bytes`,
        contentType: 'application/json',
        body: valid ? `{"title":"${'x'.repeat(size)}","price":1}` : '['.repeat(size),
      }),
    );
  return fc.oneof(
    { weight: 10, arbitrary: json },
    { weight: 3, arbitrary: broken },
    { weight: 2, arbitrary: wrongType },
    { weight: 1, arbitrary: none },
    { weight: 1, arbitrary: oversized },
  );
}

/** Percent-encodes what Node would refuse to put in a request line (outside 0x21–0xff). */
export const pathSafe = (value: string) => value.replace(/[^\x21-\xff]/gu, (c) => percentEncode(c));

/** Path segments naming nothing, or something else: junk, traversal, odd encodings, huge. */
export function idSegments(knownId: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 4, arbitrary: knownId },
      { weight: 2, arbitrary: fc.uuid() },
      // Well-formed hex, but a version or variant RFC 9562 does not define.
      { weight: 1, arbitrary: fc.uuid({ version: [9, 12, 15] }) },
      { weight: 1, arbitrary: knownId.map((id) => id.toUpperCase()) },
      {
        weight: 1,
        arbitrary: knownId.chain((id) =>
          fc.constantFrom(
            `{${id}}`,
            id.replaceAll('-', ''),
            `${id}0`,
            id.slice(1),
            ` ${id}`,
            `${id}%00`,
            `${id}/`,
            `${id}/..`,
            `${id}%2F`,
            `${id}?x=1`,
            `${id};a=b`,
            `${id}#x`,
          ),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '00000000-0000-0000-0000-000000000000',
          'ffffffff-ffff-ffff-ffff-ffffffffffff',
          '..',
          '.',
          '%2e%2e',
          '..%2F..%2Fusers%2Fcurrentuser',
          '..%2f..%2f..%2fapi%2fusers%2fsignup',
          '../users/currentuser',
          '../../api/orders',
          '..;/users',
          '%252e%252e%252f',
          '....//....//',
          '%',
          '%zz',
          '%E0%A4%A',
          '%C0%AE%C0%AE',
          '%00',
          '%FF%FE',
          'caf\u00e9',
          'null',
          'undefined',
          '__proto__',
          'constructor',
          '1',
          '-1',
          '0x10',
        ),
      },
      { weight: 2, arbitrary: hostileString.map((s) => percentEncode(s).slice(0, 4_000)) },
      { weight: 1, arbitrary: hostileString.map((s) => pathSafe(s).slice(0, 4_000)) },
      { weight: 1, arbitrary: fc.webSegment() },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 200, max: 8_000 }).map((n) => 'a'.repeat(n)),
      },
    )
    .map(pathSafe);
}

const encodePair = ([key, value, raw]: [string, string, boolean]) =>
  raw ? `${pathSafe(key)}=${pathSafe(value)}` : `${percentEncode(key)}=${percentEncode(value)}`;

/** A query string from [key, value] pairs; raw pairs are sent unencoded (as far as Node allows). */
export function queryString(pairs: fc.Arbitrary<Array<[string, string, boolean]>>) {
  return fc.oneof(
    { weight: 6, arbitrary: pairs.map((p) => (p.length ? `?${p.map(encodePair).join('&')}` : '')) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?',
        '??',
        '?&&&',
        '?=',
        '?a[b]=c',
        '?__proto__[isAdmin]=1',
        '?constructor[prototype][x]=1',
        '?q=%',
        '?q=%00',
        '?limit',
        '?%',
        `?${'a=1&'.repeat(2_000)}`,
      ),
    },
  );
}

/** Junk query parameters for routes that take none. */
export const anyQuery = queryString(
  fc.array(fc.tuple(hostileString, hostileString, fc.boolean()), { maxLength: 4 }),
);

/** Request ids a client may send: well-formed ones must come back as sent, others replaced. */
export const requestIds = fc.option(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
    fc.constantFrom('', ' ', 'a'.repeat(129), 'a b', '../../x', '\u00ff\u00fe', 'x'.repeat(8_000)),
    hostileString.map(headerSafe),
  ),
  { nil: undefined },
);

/** Other headers a hostile client adds. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Record<string, string>>({}) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'x-forwarded-for': '10.0.0.1, 127.0.0.1' },
      { 'x-forwarded-host': 'evil.example' },
      { 'content-encoding': 'gzip' },
      { 'content-encoding': 'br, identity' },
      { accept: 'text/html' },
      { 'accept-encoding': 'gzip, br' },
      { origin: 'https://evil.example' },
      { 'x-http-method-override': 'DELETE' },
      { 'x-padding': 'p'.repeat(10_000) },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
      hostileString.map((s) => headerSafe(s).slice(0, 2_000)),
      { maxKeys: 3 },
    ),
  },
);

export { hostileJson };
