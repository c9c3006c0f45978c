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

const sorts = fc.oneof(fc.constantFrom('newest', 'price', '-price'), hostileString);
/** Dollars as a query value: in range, at the edges, past them, or not a number. */
const priceValue = fc.oneof(
  fc.integer({ min: 0, max: 100_000_000 }).map((cents) => String(cents / 100)),
  fc.constantFrom('-1', '0', '0.001', '1000000', '1000000.01', '1e3', 'Infinity', 'NaN', '', ' 5'),
  hostileString,
);

/**
 * Query strings for GET /api/tickets: its parameters (filters, sort, price range,
 * paging) with valid, odd and hostile values (cursors forged the way the service
 * encodes them for each sort, or junk), repeated, in any order, encoded or raw;
 * and junk parameters.
 */
export function ticketListQueries(knownId: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const anyId = fc.oneof(fc.uuid(), knownId, hostileString);
  const cursor = fc.oneof(
    fc.tuple(cursorTime, anyId).map(([t, id]) => encode(['newest', t, id])),
    fc
      .tuple(
        sorts,
        fc.oneof(fc.integer({ min: -2, max: 100_000_002 }), fc.double(), hostileJson),
        anyId,
      )
      .map(([sort, key, id]) => encode([sort, key, id])),
    // The format of the first release: [createdAt, id].
    fc.tuple(cursorTime, anyId).map(([t, id]) => encode([t, id])),
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
      .map(([t, id]) => encode(['newest', t, id])),
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
    eventId: fc.oneof(knownId, fc.uuid(), hostileString),
    minPrice: priceValue,
    maxPrice: priceValue,
    sort: sorts,
  };
  type Name = keyof typeof value;
  const named = fc
    .array(fc.constantFrom(...(Object.keys(value) as Name[])), { maxLength: 6 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) => fc.tuple(fc.constant(name as string), value[name], fc.boolean())),
      ),
    );
  const junk = fc.array(
    fc.tuple(fc.constantFrom(...(Object.keys(value) as Name[])), fc.string(), fc.boolean()),
    { maxLength: 6 },
  );
  return queryString(fc.oneof({ weight: 3, arbitrary: named }, { weight: 1, arbitrary: junk }));
}

/** Query strings for GET /api/events: search, city, window and paging, hostile and valid. */
export function eventListQueries(): fc.Arbitrary<string> {
  const time = fc.oneof(
    fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    fc.constantFrom('2030-01-01', '2030-01-01T00:00:00+25:00', 'yesterday', '0', ''),
    hostileString,
  );
  const value = {
    q: fc.oneof(hostileString, fc.string({ maxLength: 130 })),
    city: fc.oneof(hostileString, fc.string({ maxLength: 90 })),
    from: time,
    to: time,
    limit: fc.oneof(fc.integer({ min: -5, max: 105 }).map(String), hostileString),
    cursor: fc.oneof(
      fc.tuple(cursorTime, fc.oneof(fc.uuid(), hostileString)).map(([t, id]) => encode([t, id])),
      hostileJson.map(encode),
      hostileString,
    ),
  };
  type Name = keyof typeof value;
  const named = fc
    .array(fc.constantFrom(...(Object.keys(value) as Name[])), { maxLength: 5 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) => fc.tuple(fc.constant(name as string), value[name], fc.boolean())),
      ),
    );
  return queryString(named);
}
