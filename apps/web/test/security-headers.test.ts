import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, newNonce, pageSecurityHeaders } from '../src/lib/security-headers';

const base = { nonce: 'abc123==', stripe: false, development: false, production: true };
const directive = (policy: string, name: string) =>
  policy
    .split('; ')
    .find((d) => d.startsWith(`${name} `))
    ?.slice(name.length + 1)
    .split(' ');

describe('the security headers of a page', () => {
  it('when rendered, then scripts need the nonce and nothing may frame the page', () => {
    const policy = contentSecurityPolicy(base);
    expect(directive(policy, 'script-src')).toEqual([
      "'self'",
      "'nonce-abc123=='",
      "'strict-dynamic'",
    ]);
    expect(directive(policy, 'frame-ancestors')).toEqual(["'none'"]);
    expect(directive(policy, 'object-src')).toEqual(["'none'"]);
    expect(directive(policy, 'frame-src')).toEqual(["'none'"]);
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toContain('stripe');
  });

  it('when the app takes cards through Stripe, then only then are Stripe’s domains allowed', () => {
    const policy = contentSecurityPolicy({ ...base, stripe: true });
    expect(directive(policy, 'script-src')).toContain('https://js.stripe.com');
    expect(directive(policy, 'frame-src')).toEqual([
      'https://js.stripe.com',
      'https://hooks.stripe.com',
    ]);
    expect(directive(policy, 'connect-src')).toEqual(["'self'", 'https://api.stripe.com']);
    expect(pageSecurityHeaders({ ...base, stripe: true })['Permissions-Policy']).toContain(
      'payment=(self "https://js.stripe.com")',
    );
    expect(pageSecurityHeaders(base)['Permissions-Policy']).toContain('payment=()');
  });

  it('when in production, then HSTS is sent; in development, not, and eval is allowed for next dev', () => {
    expect(pageSecurityHeaders(base)['Strict-Transport-Security']).toMatch(/^max-age=\d{8}/);
    const dev = pageSecurityHeaders({ ...base, production: false, development: true });
    expect(dev['Strict-Transport-Security']).toBeUndefined();
    expect(dev['Content-Security-Policy']).toContain("'unsafe-eval'");
    expect(pageSecurityHeaders(base)['Referrer-Policy']).toBe('strict-origin-when-cross-origin');
  });

  it('when nonces are made, then each is fresh, 128 bits in base64', () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(newNonce()).not.toBe(a);
  });
});
