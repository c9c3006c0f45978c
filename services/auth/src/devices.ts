import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie a browser gets after it signed in to an account (OWASP's device cookie). */
export const DEVICE_COOKIE = 'device';
/** A device stays known for a year after its last successful sign-in. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export interface Device {
  email: string;
  nonce: string;
}

/**
 * Signs and reads device cookies: `<email, base64url>.<nonce>.<HMAC-SHA256>`. The key
 * is derived from the session signing key, so every replica with the same
 * JWT_PRIVATE_KEY agrees without another secret to configure.
 */
export interface DeviceCookies {
  issue(email: string): string;
  /** The device a cookie names, or null when it is missing, forged or truncated. */
  read(cookie: string | undefined): Device | null;
}

export function createDeviceCookies(secret: string): DeviceCookies {
  const key = createHmac('sha256', secret).update('gittix device cookie').digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest('base64url');
  return {
    issue(email) {
      const body = `${Buffer.from(email).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
      return `${body}.${mac(body)}`;
    },
    read(cookie) {
      if (!cookie || cookie.length > 1024) return null;
      const parts = cookie.split('.');
      if (parts.length !== 3) return null;
      const [encodedEmail, nonce, signature] = parts as [string, string, string];
      const expected = Buffer.from(mac(`${encodedEmail}.${nonce}`));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return { email: Buffer.from(encodedEmail, 'base64url').toString(), nonce };
    },
  };
}
