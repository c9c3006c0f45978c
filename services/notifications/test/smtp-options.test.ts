import { describe, expect, it } from 'vitest';
import { smtpTransportOptions } from '../src/smtp.js';

describe('SMTP_URL', () => {
  it.each([
    ['smtp://user:secret@smtp.example.com:587', true],
    ['smtp://user:secret@192.0.2.10', true],
    ['smtp://user:secret@[2001:db8::1]:587', true],
  ])(
    'when %s carries credentials to another host in plain smtp, then STARTTLS is required (no downgrade)',
    (url, required) => {
      const options = smtpTransportOptions(url);
      expect(options.secure).toBe(false);
      expect(options.requireTLS).toBe(required);
      expect(options.auth).toEqual({ user: 'user', pass: 'secret' });
    },
  );

  it.each([
    // TLS from the first byte: nothing to require.
    ['smtps://user:secret@smtp.example.com', false],
    // No credentials: a relay that takes mail from this network, as it is configured.
    ['smtp://smtp.example.com:25', false],
    // This machine (the mail catcher, a local relay): nobody in between.
    ['smtp://user:secret@127.0.0.1:1025', false],
    ['smtp://user:secret@localhost:1025', false],
    ['smtp://user:secret@[::1]:1025', false],
  ])('when the URL is %s, then STARTTLS is not required', (url, required) => {
    expect(smtpTransportOptions(url).requireTLS).toBe(required);
  });

  it('when credentials are percent-encoded, then they are decoded', () => {
    expect(smtpTransportOptions('smtps://a%40b.example:p%2Fw@smtp.example.com').auth).toEqual({
      user: 'a@b.example',
      pass: 'p/w',
    });
  });
});
