import { describe, expect, it } from 'vitest';
import { splitErrors } from '../src/lib/form-errors';
import { safeNextPath, signInPath } from '../src/lib/next-path';
import { orderState } from '../src/lib/order-status';

describe('safeNextPath', () => {
  it.each([
    ['/orders/1', '/orders/1'],
    ['/tickets/new?x=1', '/tickets/new?x=1'],
    [undefined, '/'],
    ['', '/'],
    ['https://evil.example', '/'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['orders', '/'],
    // What the query string decodes `/%09/evil.example` and friends to.
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['/\r//evil.example', '/'],
    ['/\\/evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['https:evil.example', '/'],
    ['https:/evil.example', '/'],
    ['//evil', '/'],
    ['/%2F/evil.example', '/%2F/evil.example'],
    ['/./\\evil', '/'],
    ['/\u0000/evil', '/'],
    [' /evil', '/'],
    ['javascript:alert(1)', '/'],
    [['//evil', '/orders'], '/'],
    ['/orders/1#pay', '/orders/1#pay'],
    ['/.//evil.example', '/'],
    ['/..//evil.example', '/'],
  ])('when next is %s, then sign-in returns to %s', (next, path) => {
    expect(safeNextPath(next)).toBe(path);
  });

  it('when the sign-in path is built, then the return path is encoded', () => {
    expect(signInPath('/orders/1?a=b')).toBe('/auth/signin?next=%2Forders%2F1%3Fa%3Db');
  });
});

describe('splitErrors', () => {
  it('when errors name a field the form has, then they go beside it; others go above', () => {
    const errors = splitErrors(
      [
        { message: 'Email must be valid', field: 'email' },
        { message: 'Too long', field: 'email' },
        { message: 'Invalid credentials' },
        { message: 'Unexpected', field: 'nickname' },
      ],
      ['email', 'password'] as const,
    );
    expect(errors.byField).toEqual({ email: 'Email must be valid' });
    expect(errors.general).toEqual(['Invalid credentials', 'Unexpected']);
  });
});

describe('orderState', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const future = '2030-01-01T00:10:00Z';
  const past = '2029-12-31T23:50:00Z';

  it.each([
    ['created', future, 'open'],
    ['awaiting:payment', future, 'open'],
    ['created', past, 'expired'],
    ['cancelled', past, 'expired'],
    ['cancelled', future, 'cancelled'],
    ['complete', past, 'complete'],
  ] as const)(
    'when the order is %s and expires at %s, then it is %s',
    (status, expiresAt, state) => {
      expect(orderState({ status, expiresAt }, now)).toBe(state);
    },
  );
});
