import fc from 'fast-check';
import { queryString } from './hostile-http.js';
import { hostileJson, hostileString } from './hostile-json.js';

/** Cursors hold a UTC time with microseconds; year 0000 and 9999 are valid JS dates. */
const cursorTime = fc
  .tuple(
    fc.date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    fc.constantFrom('000', '999', '5'),
  )
  .map(([d, micros]) => `${d.toISOString().slice(0, 23)}${micros}Z`);

const encode = (value: unknown) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url');

/**
 * Query strings for GET /api/tickets: its five parameters with valid, odd and
 * hostile values (cursors forged the way the service encodes them, or junk),
 * repeated, in any order, encoded or raw; and junk parameters.
 */
export function ticketListQueries(knownId: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const cursor = fc.oneof(
    fc
      .tuple(cursorTime, fc.oneof(fc.uuid(), knownId, hostileString))
      .map(([t, id]) => encode([t, id])),
    fc
      .tuple(
        fc.constantFrom(
          // The ends of what the cursor format allows.
          '0000-01-01T00:00:00.000000Z',
          '9999-12-31T23:59:59.999999Z',
          '1969-12-31T23:59:59.999999Z',
          '2024-02-30T00:00:00.000000Z',
          '2024-01-01T24:00:00.000000Z',
          '2024-01-01T23:59:60.000000Z',
        ),
        knownId,
      )
      .map(([t, id]) => encode([t, id])),
    hostileJson.map(encode),
    fc.base64String({ maxLength: 200 }),
    hostileString,
  );
  const value = {
    q: fc.oneof(hostileString, fc.string({ maxLength: 130 })),
    available: fc.oneof(fc.constantFrom('true', 'false', 'TRUE', '1', ''), hostileString),
    userId: fc.oneof(knownId, fc.uuid(), hostileString),
    limit: fc.oneof(
      fc.integer({ min: -5, max: 105 }).map(String),
      fc.constantFrom(
        '1e2',
        '0x10',
        '1.5',
        '-0',
        ' 7',
        'Infinity',
        'NaN',
        '',
        '99999999999999999999',
      ),
      hostileString,
    ),
    cursor,
  };
  type Name = keyof typeof value;
  const named = fc
    .array(fc.constantFrom(...(Object.keys(value) as Name[])), { maxLength: 5 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) => fc.tuple(fc.constant(name as string), value[name], fc.boolean())),
      ),
    );
  const junk = fc.array(
    fc.tuple(
      fc.constantFrom('q', 'available', 'userId', 'limit', 'cursor'),
      fc.string(),
      fc.boolean(),
    ),
    { maxLength: 6 },
  );
  return queryString(fc.oneof({ weight: 3, arbitrary: named }, { weight: 1, arbitrary: junk }));
}
