import { type NextRequest, NextResponse } from 'next/server';

/**
 * Private pages without a session cookie go straight to sign-in with a real 307,
 * before any rendering. Only an optimistic check: the pages still ask the auth
 * service who the cookie belongs to.
 */
export function proxy(request: NextRequest) {
  if (request.cookies.has('session')) return NextResponse.next();
  const { pathname, search } = request.nextUrl;
  // Same origin as the request, so Next sends a relative Location: the browser stays on
  // the gateway's origin whatever Host header the gateway forwards.
  const signIn = request.nextUrl.clone();
  signIn.pathname = '/auth/signin';
  signIn.search = `?next=${encodeURIComponent(pathname + search)}`;
  return NextResponse.redirect(signIn);
}

export const config = {
  matcher: [
    '/tickets/new',
    '/tickets/mine',
    '/tickets/:id/edit',
    '/orders',
    '/orders/:id',
    '/account',
  ],
};
