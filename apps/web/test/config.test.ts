import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../src/lib/config';

describe('the web app configuration', () => {
  it('when nothing is set, then it reads the gateway on its local port and pays in the sandbox', () => {
    expect(parseWebConfig({})).toEqual({
      GATEWAY_URL: 'http://127.0.0.1:3000',
      PLATFORM_FEE_PERCENT: 10,
    });
  });

  it('when the Stripe key is blank, then it counts as unset', () => {
    expect(parseWebConfig({ STRIPE_PUBLISHABLE_KEY: '' }).STRIPE_PUBLISHABLE_KEY).toBeUndefined();
  });

  it('when keys are wrong, then one line names each of them', () => {
    expect(() =>
      parseWebConfig({ GATEWAY_URL: 'gateway:3000', STRIPE_PUBLISHABLE_KEY: 'sk_live_secret' }),
    ).toThrow(
      'Invalid configuration: GATEWAY_URL: Must be an http(s) URL; STRIPE_PUBLISHABLE_KEY: Must be a Stripe publishable key (pk_…)',
    );
  });
});
