import { type NextRequest, NextResponse } from 'next/server';
import { webConfig } from './lib/config';
import { newNonce, pageSecurityHeaders } from './lib/security-headers';

/** Pages only a signed-in person may see. */
const PRIVATE_PAGES = [
  /^\/tickets\/new$/,
  /^\/tickets\/mine$/,
  /^\/tickets\/purchased$/,
  /^\/tickets\/[^/]+\/edit$/,
  /^\/orders$/,
  /^\/orders\/[^/]+$/,
  /^\/payouts$/,
  /^\/account$/,
];

/**
 * Every page: a nonce-based Content-Security-Policy (Next.js reads the nonce from
 * the request's CSP header and puts it on its scripts) and the other security
 * headers (src/lib/security-headers.ts). Private pages without a session cookie go
 * straight to sign-in with a real 307, before any rendering. Only an optimistic
 * check: the pages still ask the auth service who the cookie belongs to.
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (!request.cookies.has('session') && PRIVATE_PAGES.some((page) => page.test(pathname))) {
    // Same origin as the request, so Next sends a relative Location: the browser stays on
    // the gateway's origin whatever Host header the gateway forwards.
    const signIn = request.nextUrl.clone();
    signIn.pathname = '/auth/signin';
    signIn.search = `?next=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(signIn);
  }
  const headers = pageSecurityHeaders({
    nonce: newNonce(),
    stripe: Boolean(webConfig().STRIPE_PUBLISHABLE_KEY),
    development: process.env.NODE_ENV === 'development',
    production: process.env.NODE_ENV === 'production',
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('Content-Security-Policy', headers['Content-Security-Policy']!);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Pages, not build assets or the liveness probe.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|icon.svg|healthz).*)'],
};
