/**
 * The headers every page carries (docs/security.md, "Web app"): a nonce-based
 * Content-Security-Policy that Next.js applies to its own scripts (it reads the
 * nonce from the request's CSP header, which src/proxy.ts sets), Stripe's domains
 * only when the app takes cards through Stripe, HSTS in production.
 */
export interface PagePolicyOptions {
  /** Fresh per response, base64. */
  nonce: string;
  /** Stripe mode (STRIPE_PUBLISHABLE_KEY set): Stripe.js, its frames and its API. */
  stripe: boolean;
  /** `next dev`: React's dev tooling evaluates strings. */
  development: boolean;
}

const STRIPE = {
  script: ['https://js.stripe.com'],
  frame: ['https://js.stripe.com', 'https://hooks.stripe.com'],
  connect: ['https://api.stripe.com'],
  img: ['https://*.stripe.com'],
};

export function contentSecurityPolicy({ nonce, stripe, development }: PagePolicyOptions): string {
  const only = (list: string[]) => (stripe ? list : []);
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    // 'strict-dynamic': what a nonced script loads (Next's chunks, Stripe.js) runs too.
    'script-src': [
      "'self'",
      `'nonce-${nonce}'`,
      "'strict-dynamic'",
      ...only(STRIPE.script),
      ...(development ? ["'unsafe-eval'"] : []),
    ],
    // Style attributes (React's style={...}, Stripe Elements) cannot carry a nonce.
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:', ...only(STRIPE.img)],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...only(STRIPE.connect)],
    'frame-src': stripe ? STRIPE.frame : ["'none'"],
    'frame-ancestors': ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

export interface PageHeaderOptions extends PagePolicyOptions {
  /** NODE_ENV=production: browsers are told to use https only (they ignore it over http). */
  production: boolean;
}

/** Every security header of a page response. */
export function pageSecurityHeaders(options: PageHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Security-Policy': contentSecurityPolicy(options),
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Permissions-Policy': [
      'camera=()',
      'microphone=()',
      'geolocation=()',
      'usb=()',
      'browsing-topics=()',
      options.stripe ? 'payment=(self "https://js.stripe.com")' : 'payment=()',
    ].join(', '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
  if (options.production) {
    headers['Strict-Transport-Security'] = 'max-age=63072000; includeSubDomains';
  }
  return headers;
}

/** A fresh nonce: 128 random bits, base64 (valid in a CSP source expression). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
