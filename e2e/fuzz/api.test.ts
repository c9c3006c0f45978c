import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiOracle, type FuzzRequest, fitsNodeHeaderLimit, printable } from './api-oracle.js';
import { roles, signUp } from './fixtures.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-config.js';
import { assertAllAlive, type FuzzSystem, startFuzzSystem } from './fuzz-system.js';
import {
  anyQuery,
  extraHeaders,
  hostileJson,
  idSegments,
  type Payload,
  payloads,
  requestIds,
} from './hostile-http.js';
import {
  hostileNumber,
  hostileString,
  JsonObject,
  type JsonTree,
  objectOf,
  toJsonText,
} from './hostile-json.js';
import { knownIssues } from './known-issues.js';
import { regressions } from './regressions.js';
import { type Credentials, credentials, forgeTokens, signedIn } from './sessions.js';
import { eventListQueries, ticketListQueries } from './ticket-queries.js';

/** How one route's requests are drawn: hostile ones, and plausible ones that reach its logic. */
interface RouteSpec {
  method: string;
  path: fc.Arbitrary<string>;
  /** A path naming something that exists (for routes with an id). */
  realPath?: fc.Arbitrary<string>;
  /** Field values that are mostly valid, now and then hostile. */
  fields?: Record<string, fc.Arbitrary<JsonTree>>;
  /** Field values that are valid in form (the request may still break a business rule). */
  validFields?: Record<string, fc.Arbitrary<JsonTree>>;
  signedInOnly: boolean;
  /** Who calls it, when not anyone (hostile runs) or the fixture users (plausible ones). */
  credentials?: fc.Arbitrary<Credentials>;
}

const PER_RUN_MS = 400;

describe('fuzzing every API route through the gateway', () => {
  let fuzz: FuzzSystem;
  let oracle: ApiOracle;
  let anyone: fc.Arbitrary<Credentials>;
  let someUser: fc.Arbitrary<Credentials>;
  /** Sign-out ends the session it is sent with: a user of its own, so the fixtures' live on. */
  let quitters: fc.Arbitrary<Credentials>;
  let ids: fc.Arbitrary<string>;
  let knownId: fc.Arbitrary<string>;

  beforeAll(async () => {
    fuzz = await startFuzzSystem();
    const { fixtures, system, state } = fuzz;
    oracle = new ApiOracle(system.baseUrl, state, system.logDir, () => fixtures.replenish());
    const users = [fixtures.seller, fixtures.buyer, fixtures.stranger];
    const forged = await forgeTokens(fixtures.buyer, system.settings.jwt);
    anyone = credentials(users, forged);
    someUser = signedIn(users);
    quitters = credentials([await signUp(system.baseUrl, 'quitter')], forged);
    // A role, read when the value is generated: the entity in that state right now.
    knownId = fc.constantFrom(...roles).map((role) => fixtures.ids[role]);
    ids = idSegments(knownId);
  });
  afterAll(async () => {
    if (process.env.FUZZ_STATS) console.info('answers:', Object.fromEntries(oracle?.tally ?? []));
    await fuzz?.stop();
  });
  afterEach(() => assertAllAlive(fuzz.system));

  /** A field's value: usually plausible, often hostile. */
  const field = (plausible: fc.Arbitrary<JsonTree>) =>
    fc.oneof(
      { weight: 3, arbitrary: plausible },
      { weight: 1, arbitrary: hostileString },
      { weight: 1, arbitrary: hostileJson },
    );
  const validPrice = fc.integer({ min: 1, max: 100_000_000 }).map((cents) => cents / 100);
  const validTitle = fc.oneof(
    fc.string({ minLength: 1, maxLength: 120 }).filter((t) => t.trim() !== ''),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((t) => t.trim() !== ''),
  );
  const ticketFields = () => ({
    title: field(validTitle),
    price: field(fc.oneof(validPrice, hostileNumber)),
  });
  /** An event id: the fixture's, unknown, null, or hostile. */
  const eventIds = () =>
    field(
      fc.oneof(
        fc.constant(null).map(() => fuzz.fixtures.ids.event),
        fc.uuid(),
        fc.constant(null),
        knownId,
      ),
    );
  const future = fc
    .integer({ min: 60, max: 5 * 365 * 24 * 3600 })
    .map((s) => new Date(Date.now() + s * 1000).toISOString());
  const startsAts = fc.oneof(
    future,
    fc.integer({ min: 1, max: 1e9 }).map((s) => new Date(Date.now() - s * 1000).toISOString()),
    fc.constantFrom('2031-02-30T20:00:00Z', '2031-06-01', '2031-06-01T20:00:00+14:00', 'soon'),
  );
  const emails = () =>
    fc.oneof(
      fc.emailAddress(),
      fc.constantFrom(fuzz.fixtures.buyer.email, ` ${fuzz.fixtures.seller.email.toUpperCase()} `),
    );
  const passwords = fc.oneof(
    fc.constant('correct horse battery'),
    fc.string({ minLength: 8, maxLength: 128 }),
  );
  /** Link tokens as forgers and typos make them: none is ever a real one. */
  const tokens = fc.oneof(
    fc.string({ minLength: 1, maxLength: 600 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    fc.constantFrom('A'.repeat(43), 'null', '../reset', '%00'),
  );
  /** GETs and DELETEs get a body now and then too: it must not matter. */
  const bodiless = fc.oneof(
    { weight: 4, arbitrary: fc.constant<Payload>({ label: 'no body' }) },
    { weight: 1, arbitrary: payloads(hostileJson) },
  );

  function requests(route: RouteSpec): fc.Arbitrary<FuzzRequest> {
    const build = (r: Omit<FuzzRequest, 'method' | 'signedInOnly'>) =>
      printable({ ...r, method: route.method, signedInOnly: route.signedInOnly });
    const hostile = fc
      .record({
        path: route.path,
        credentials: route.credentials ?? anyone,
        // Mostly objects with the route's fields; now and then any JSON value at all.
        payload: route.fields
          ? payloads(fc.oneof({ weight: 4, arbitrary: objectOf(route.fields) }, hostileJson))
          : bodiless,
        requestId: requestIds,
        extraHeaders,
      })
      .map(build);
    const validBody = route.validFields
      ? fc.record(route.validFields).map((v) => new JsonObject(Object.entries(v)))
      : undefined;
    const plausible = fc
      .record({
        path: route.realPath ?? route.path,
        credentials: route.credentials ?? someUser,
        payload: validBody
          ? validBody.map(
              (b): Payload => ({
                label: 'valid json',
                contentType: 'application/json',
                body: toJsonText(b),
              }),
            )
          : fc.constant<Payload>({ label: 'no body' }),
        requestId: fc.constant(undefined),
        extraHeaders: fc.constant({}),
      })
      .map(build);
    return fc.oneof({ weight: 3, arbitrary: hostile }, { weight: 1, arbitrary: plausible });
  }

  async function fuzzRoutes(routes: () => RouteSpec[]) {
    await fc.assert(
      fc.asyncProperty(fc.oneof(...routes().map(requests)), async (request) => {
        fc.pre(fitsNodeHeaderLimit(request));
        await oracle.check(request);
      }),
      fuzzParameters(),
    );
  }

  const under = (prefix: string, segment: fc.Arbitrary<string> = fc.constant('')) =>
    fc.tuple(segment, anyQuery).map(([s, q]) => `${prefix}${s}${q}`);
  const at = (prefix: string, ids = knownId) => ids.map((id) => `${prefix}${id}`);
  /** Mostly the open order: paying or cancelling it is where the business rules are. */
  const orderIds = () =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(null).map(() => fuzz.fixtures.ids.openOrder) },
      knownId,
    );

  it(
    'when users routes get hostile input, then no 5xx, one error shape, no state change on 4xx',
    async () => {
      const fields = () => ({ email: field(emails()), password: field(passwords) });
      const validFields = () => ({ email: emails(), password: passwords });
      await fuzzRoutes((): RouteSpec[] => [
        {
          method: 'POST',
          path: under('/api/users/signup'),
          fields: fields(),
          validFields: validFields(),
          signedInOnly: false,
        },
        {
          method: 'POST',
          path: under('/api/users/signin'),
          fields: fields(),
          validFields: validFields(),
          signedInOnly: false,
        },
        {
          method: 'POST',
          path: under('/api/users/signout'),
          fields: { everything: hostileJson },
          signedInOnly: false,
          credentials: quitters,
        },
        { method: 'GET', path: under('/api/users/currentuser'), signedInOnly: false },
        {
          method: 'POST',
          path: under('/api/users/verify'),
          fields: { token: field(tokens) },
          signedInOnly: false,
        },
        { method: 'POST', path: under('/api/users/verify/resend'), signedInOnly: true },
        {
          method: 'POST',
          path: under('/api/users/password/forgot'),
          fields: { email: field(emails()) },
          validFields: { email: emails() },
          signedInOnly: false,
        },
        {
          method: 'POST',
          path: under('/api/users/password/reset'),
          fields: { token: field(tokens), password: field(passwords) },
          signedInOnly: false,
        },
        {
          method: 'PUT',
          path: under('/api/users/password'),
          fields: { currentPassword: field(passwords), newPassword: field(passwords) },
          signedInOnly: true,
          // A right current password ends every session of its user: not the fixtures'.
          credentials: quitters,
        },
      ]);
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  it(
    'when the ticket list gets random filters and cursors, then no 5xx and bad values are a 400',
    async () => {
      const query = ticketListQueries(knownId);
      await fuzzRoutes(() => [
        { method: 'GET', path: query.map((q) => `/api/tickets${q}`), signedInOnly: false },
        { method: 'GET', path: query.map((q) => `/api/tickets/${q}`), signedInOnly: false },
      ]);
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  it(
    'when tickets are shown, listed for sale and edited with hostile input, then no 5xx and no state change on 4xx',
    async () => {
      const validFields = { title: validTitle, price: validPrice };
      await fuzzRoutes(() => [
        {
          method: 'GET',
          path: under('/api/tickets/', ids),
          realPath: at('/api/tickets/'),
          signedInOnly: false,
        },
        {
          method: 'POST',
          path: under('/api/tickets'),
          fields: { ...ticketFields(), eventId: eventIds() },
          validFields: {
            ...validFields,
            eventId: fc.constant(null).map(() => fuzz.fixtures.ids.event),
          },
          signedInOnly: true,
        },
        {
          method: 'DELETE',
          path: under('/api/tickets/', ids),
          realPath: at('/api/tickets/'),
          signedInOnly: true,
        },
        {
          method: 'PUT',
          path: under('/api/tickets/', ids),
          realPath: at('/api/tickets/'),
          fields: ticketFields(),
          validFields,
          signedInOnly: true,
        },
      ]);
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  it(
    'when the events catalogue gets hostile input, then no 5xx, one error shape, no state change on 4xx',
    async () => {
      const name = fc.oneof(validTitle, fc.constant('Fuzz festival'));
      await fuzzRoutes(() => [
        {
          method: 'POST',
          path: under('/api/events'),
          fields: {
            name: field(name),
            venue: field(validTitle),
            city: field(validTitle.map((c) => c.slice(0, 80))),
            startsAt: field(startsAts),
          },
          validFields: { name, venue: validTitle, city: fc.constant('Fuzzton'), startsAt: future },
          signedInOnly: true,
        },
        {
          method: 'GET',
          path: eventListQueries().map((q) => `/api/events${q}`),
          signedInOnly: false,
        },
        {
          method: 'GET',
          path: under('/api/events/', ids),
          realPath: at(
            '/api/events/',
            fc.constant(null).map(() => fuzz.fixtures.ids.event),
          ),
          signedInOnly: false,
        },
      ]);
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  it(
    'when orders are placed, listed, shown and cancelled with hostile input, then no 5xx and no state change on 4xx',
    async () => {
      const ticketId = field(fc.oneof(knownId, fc.uuid()));
      await fuzzRoutes(() => [
        {
          method: 'POST',
          path: under('/api/orders'),
          fields: { ticketId },
          validFields: { ticketId: knownId },
          signedInOnly: true,
        },
        { method: 'GET', path: under('/api/orders'), signedInOnly: true },
        {
          method: 'GET',
          path: under('/api/orders/', ids),
          realPath: at('/api/orders/'),
          signedInOnly: true,
        },
        {
          method: 'DELETE',
          path: under('/api/orders/', ids),
          realPath: at('/api/orders/', orderIds()),
          signedInOnly: true,
        },
      ]);
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  it(
    'when payments get hostile orders and card tokens, then no 5xx and no state change on 4xx (but a recorded decline)',
    async () => {
      const tokens = fc.constantFrom(
        'tok_visa',
        'tok_chargeDeclined',
        ' tok_visa ',
        'pm_card_visa',
        'tok_unknown',
      );
      await fuzzRoutes(() => [
        {
          method: 'POST',
          path: under('/api/payments'),
          fields: { orderId: field(fc.oneof(knownId, fc.uuid())), token: field(tokens) },
          validFields: { orderId: orderIds(), token: tokens },
          signedInOnly: true,
        },
        { method: 'GET', path: under('/api/payments'), signedInOnly: true },
      ]);
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  it(
    'when any method hits any path, then the gateway and services answer in the error shape, never 5xx',
    async () => {
      const prefixes = fc.constantFrom(
        '/api/users',
        '/api/tickets',
        '/api/orders',
        '/api/payments',
        '/api/events',
        '/api',
        '',
        '/api/docs',
      );
      const rest = fc.oneof(
        fc.webPath(),
        ids.map((id) => `/${id}`),
        fc.constant(''),
        ids.map((id) => `/${id}/${id}`),
      );
      const path = fc
        .tuple(prefixes, rest, anyQuery)
        .map(([p, r, q]) => `${p}${r}${q}`)
        .filter((p) => p.startsWith('/'));
      await fuzzRoutes(() =>
        ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'].map((method) => ({
          method,
          path,
          fields: { anything: hostileJson },
          signedInOnly: false,
        })),
      );
    },
    fuzzTimeout(1, PER_RUN_MS),
  );

  // What the fuzzer found, kept as direct checks; one still open (a known issue) is expected to fail.
  for (const regression of regressions) {
    const open = knownIssues.some((issue) => issue.id === regression.id);
    (open ? it.fails : it)(`regression ${regression.id} (found: ${regression.found})`, async () => {
      const { fixtures, system } = fuzz;
      const context = {
        baseUrl: system.baseUrl,
        sellerToken: fixtures.seller.token,
        ticketId: fixtures.ids.freeTicket,
      };
      expect(await regression.check(context)).toBeUndefined();
    });
  }
});
