import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { proxy } from '../src/proxy';

// Every page that only a signed-in person may see sends a visitor without a session
// straight to sign-in with a real 307, before any rendering: a page inside a loading
// boundary (the (listings) group) would otherwise answer 200 and redirect in script.

describe('a private page visited without a session', () => {
  it.each([
    '/tickets/new',
    '/tickets/mine',
    '/tickets/purchased',
    '/tickets/abc/edit',
    '/orders',
    '/orders/abc',
    '/payouts',
    '/account',
  ])('when %s is asked for, then the answer is a 307 to sign-in that comes back to it', (path) => {
    const response = proxy(new NextRequest(`http://localhost:3000${path}?x=1`));

    expect(response.status).toBe(307);
    const location = new URL(response.headers.get('location') ?? '', 'http://localhost:3000');
    expect(location.pathname).toBe('/auth/signin');
    expect(location.searchParams.get('next')).toBe(`${path}?x=1`);
  });

  it.each(['/', '/events', '/tickets/abc', '/auth/signin'])(
    'when the public page %s is asked for, then it is rendered',
    (path) => {
      expect(proxy(new NextRequest(`http://localhost:3000${path}`)).status).toBe(200);
    },
  );
});
